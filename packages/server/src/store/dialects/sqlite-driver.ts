/**
 * Kysely's SQLite driver, with one difference: waiting for a lock another process holds does not
 * block the event loop.
 *
 * better-sqlite3 is synchronous, and SQLite waits for a lock inside the statement (`busy_timeout`).
 * Another process holding the write lock (the CLI, a backup tool, `sqlite3` with an open
 * `BEGIN IMMEDIATE`) then froze the whole server for the timeout at every write, one write after the
 * other: /health, reads, RELAY pings and every surface stopped answering for as long as the lock
 * was held, and requests waited tens of seconds for their 503. Here the connection has no busy
 * timeout; a statement that finds the database locked outside a transaction (a `BEGIN IMMEDIATE`,
 * or a statement of its own) gives the connection back and tries again a little later, so reads
 * and the rest of the server go on meanwhile. Transactions begin IMMEDIATE: they take the write lock
 * at BEGIN, where waiting is safe, rather than at their first write.
 *
 * The waits share one deadline: `lockWaitMs` after the lock was first found held, writes give up
 * with `StoreUnavailableError` (503 on every surface), and later ones give up at once while
 * writes keep finding it held (one more than `EPISODE_GAP_MS` after the last starts a new wait).
 * An answer never waits for the lock longer than `lockWaitMs`, however many requests queue behind it.
 */
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type SqliteDatabase, type SqliteStatement } from 'kysely';

/** The guarded connection of `./sqlite.ts`, which also says whether a transaction is open. */
export interface SqliteConnectionHandle extends SqliteDatabase {
  readonly inTransaction: boolean;
}

/** First and longest pause between two attempts at a locked database (ms). */
const FIRST_PAUSE_MS = 2;
const LONGEST_PAUSE_MS = 100;
/** A lock not found held for this long starts a new wait (ms): the last one ended unseen. */
const EPISODE_GAP_MS = 1_000;

/** True for SQLite's "database is locked" (SQLITE_BUSY and its extended codes), also as a cause. */
export function isSqliteBusy(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_BUSY(_|$)/.test(code)) return true;
  }
  return false;
}

/** How long the lock has been found held, shared by every statement waiting for it. */
export class LockWait {
  private since: number | null = null;
  private lastSeen = 0;

  constructor(
    private readonly lockWaitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lock was found held on attempt `attempt` (0 first): the pause before the next, or null to give up. */
  busy(attempt: number): number | null {
    const now = this.now();
    if (this.since === null || now - this.lastSeen > EPISODE_GAP_MS) this.since = now;
    this.lastSeen = now;
    const left = this.since + this.lockWaitMs - now;
    if (left <= 0) return null;
    return Math.min(left, FIRST_PAUSE_MS * 2 ** Math.min(attempt, 10), LONGEST_PAUSE_MS);
  }

  /** A statement got through: the lock is free again. */
  clear(): void {
    this.since = null;
  }
}

/** Callers take the one connection in turn, first come first served. */
class Turns {
  private held = false;
  private readonly queue: Array<() => void> = [];

  async take(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  give(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.held = false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function run<R>(stmt: SqliteStatement, parameters: readonly unknown[]): QueryResult<R> {
  if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return {
    numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
    insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    rows: [],
  };
}

class LockWaitingConnection implements DatabaseConnection {
  constructor(
    private readonly db: SqliteConnectionHandle,
    private readonly turns: Turns,
    private readonly wait: LockWait,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    for (let attempt = 0; ; attempt++) {
      // Only outside a transaction may the statement wait and run later: inside one, it fails.
      const outside = !this.db.inTransaction;
      let pause: number | null;
      try {
        const stmt: SqliteStatement = this.db.prepare(query.sql);
        const result = run<R>(stmt, query.parameters);
        // A write (or BEGIN IMMEDIATE) got the lock: it is free again. Reads need no lock in WAL mode.
        if (outside && !stmt.reader && query.sql !== 'rollback') this.wait.clear();
        return result;
      } catch (err) {
        pause = outside && isSqliteBusy(err) ? this.wait.busy(attempt) : null;
        if (pause === null) throw err;
      }
      // Nothing of this statement ran and no transaction is open: others may use the connection meanwhile.
      this.turns.give();
      try {
        await sleep(pause);
      } finally {
        await this.turns.take();
      }
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used with SQLite');
  }
}

export class LockWaitingSqliteDriver implements Driver {
  private readonly turns = new Turns();
  private readonly connection: LockWaitingConnection;

  constructor(
    private readonly db: SqliteConnectionHandle,
    lockWaitMs: number,
  ) {
    this.connection = new LockWaitingConnection(db, this.turns, new LockWait(lockWaitMs));
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.turns.take();
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.turns.give();
  }

  async destroy(): Promise<void> {
    this.db.close();
  }
}
