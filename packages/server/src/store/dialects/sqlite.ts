/**
 * The embedded SQLite store (better-sqlite3, WAL). Everything SQLite-specific lives in
 * this file: pragmas, the prepared-statement cache, the checkpoint thread, the mapping of storage
 * failures (disk full, read-only, I/O errors) to the domain's `StoreUnavailableError`,
 * and the (absent) row locking of the job queue, which needs none because one process owns the file.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteAdapter, SqliteDialect, type DialectAdapter, type Driver, type SqliteStatement } from 'kysely';
import { StoreUnavailableError } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import { KyselyStore } from '../kysely-store.js';
import { migrateToLatest, pendingMigrations } from '../migrations/index.js';
import type { Database } from '../schema.js';
import { LockWaitingSqliteDriver, type SqliteConnectionHandle } from './sqlite-driver.js';
import { DatabaseFileWatch } from './sqlite-file-watch.js';

export interface SqliteStoreOptions {
  /** Database file, or `:memory:`. */
  readonly file: string;
  /** The checkpointer's thresholds (defaults below); `freeBytes` replaces the file system's free space (tests). */
  readonly checkpoints?: Partial<CheckpointerOptions>;
  /** How long writes wait for a lock another process holds before they fail with `StoreUnavailableError` (ms; see sqlite-driver.ts). */
  readonly lockWaitMs?: number;
}

/** The server's writes wait this long for a lock another process holds (the CLI writing while it runs). */
const LOCK_WAIT_MS = 5_000;

const sqliteTraits: DialectTraits = {
  name: 'sqlite',
  lockForClaim: (query) => query,
  // Without statistics SQLite prefers the (project_id, seq) index for `project_id = ? AND id IN (…)`
  // and scans the whole project; the unary + keeps project_id out of index selection.
  lockForUpdate: (query) => query,
  lockReferenced: (query) => query,
  keyLookupInProject: (projectId, column = 'project_id') => sql<boolean>`+${sql.ref(column)} = ${projectId}`,
  isUniqueViolation: (err) => typeof err === 'object' && err !== null && String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT_UNIQUE'),
  // SQLite's default limit is 32766 bound parameters per statement.
  maxParameters: 32_000,
  jsonParam: (value) => JSON.stringify(value),
};

/**
 * SQLite result codes that mean the storage cannot be used right now — the disk or database is full,
 * the file or its folder turned read-only, an I/O error, another process held the lock past the
 * lock wait (sqlite-driver.ts), memory ran out, the file is damaged — rather than that the statement is wrong.
 * Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, …) share their primary code's prefix.
 */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|NOMEM|CORRUPT|NOTADB|PROTOCOL)(_|$)/;

/** True for a better-sqlite3 error that means the storage failed, not the statement. */
function isSqliteStorageFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && STORAGE_FAILURE.test(code);
}

/** A storage failure as the domain's `StoreUnavailableError` (surfaces answer 503), naming the file and keeping the original as the cause. */
function unavailable(file: string, err: unknown): unknown {
  if (!isSqliteStorageFailure(err)) return err;
  const { message, code } = err as { message: string; code: string };
  const why = code.startsWith('SQLITE_BUSY') ? '; another process holds its lock' : '';
  return new StoreUnavailableError(`storage failed: the SQLite database ${file} cannot be used: ${message} (${code})${why}`, { cause: err });
}

/**
 * The connection as Kysely sees it: a prepared-statement cache (Kysely prepares every query; keep the
 * statements of repeated SQL instead of re-parsing them), storage failures turned into
 * `StoreUnavailableError`, and transactions kept consistent after a failure. SQLite rolls a whole
 * transaction back by itself after some failures (SQLITE_FULL, I/O errors, a failed COMMIT); Kysely
 * then sends ROLLBACK, which would fail with "cannot rollback - no transaction is active" and hide
 * the error that caused it. So a ROLLBACK with no transaction open is skipped, a statement that would
 * run outside the transaction it was written for fails instead, and a transaction left open by a
 * ROLLBACK that itself failed is ended before the next one begins: the connection stays usable.
 */
function guardedConnection(db: BetterSqlite3.Database, file: string, watch: DatabaseFileWatch | undefined, capacity = 512): SqliteConnectionHandle {
  const cache = new Map<string, SqliteStatement>();
  /** Kysely began a transaction and has not yet committed or rolled it back. */
  let inKyselyTransaction = false;
  /** The storage failure that made SQLite end the current transaction, for the errors that follow it. */
  let lastFailure: unknown = null;

  const attempt = <T>(sqlText: string, work: () => T, writes: boolean): T => {
    // A write (or a transaction, which begins IMMEDIATE to write) while the path names another file.
    const begins = sqlText === 'begin' || sqlText === 'begin immediate';
    const refusal = writes || sqlText === 'begin immediate' ? watch?.refusal() : null;
    if (refusal) throw new StoreUnavailableError(refusal);
    if (begins) {
      if (db.inTransaction) {
        try {
          db.exec('rollback');
        } catch {
          // Still open: BEGIN below reports it.
        }
      }
    } else if (sqlText === 'rollback') {
      inKyselyTransaction = false;
      if (!db.inTransaction) return { changes: 0, lastInsertRowid: 0 } as T;
    } else if (inKyselyTransaction && !db.inTransaction) {
      // SQLite already rolled this transaction back: running the statement would write outside it.
      throw new StoreUnavailableError(`storage failed: SQLite rolled back a transaction on ${file} after a storage failure`, { cause: lastFailure ?? undefined });
    }
    try {
      const result = work();
      if (begins) inKyselyTransaction = true;
      else if (sqlText === 'commit') inKyselyTransaction = false;
      return result;
    } catch (err) {
      if (isSqliteStorageFailure(err)) lastFailure = err;
      throw unavailable(file, err);
    }
  };

  const guard = (sqlText: string, stmt: SqliteStatement): SqliteStatement => {
    // better-sqlite3's `readonly`: the statement writes nothing (`reader` is true for INSERT … RETURNING too).
    const writes = !(stmt as unknown as { readonly: boolean }).readonly;
    return {
      reader: stmt.reader,
      all: (parameters) => attempt(sqlText, () => stmt.all(parameters), writes),
      run: (parameters) => attempt(sqlText, () => stmt.run(parameters), writes),
      iterate: (parameters) => attempt(sqlText, () => stmt.iterate(parameters), writes),
    };
  };

  return {
    get inTransaction() {
      return db.inTransaction;
    },
    close: () => db.close(),
    prepare(sqlText: string): SqliteStatement {
      const hit = cache.get(sqlText);
      if (hit) {
        // Refresh recency.
        cache.delete(sqlText);
        cache.set(sqlText, hit);
        return hit;
      }
      let prepared: SqliteStatement;
      try {
        prepared = db.prepare(sqlText) as unknown as SqliteStatement;
      } catch (err) {
        throw unavailable(file, err);
      }
      const stmt = guard(sqlText, prepared);
      // Batch inserts repeat at the row counts concurrent load produces (store/batch-insert.ts), so
      // even long statements are worth keeping; only very long one-off statements are left out.
      if (sqlText.length < 65_536) {
        cache.set(sqlText, stmt);
        if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
  };
}

/** The connection's pragmas and functions. */
function configure(raw: BetterSqlite3.Database): void {
  // WAL + NORMAL: a committed transaction survives a process kill (-9); only an OS crash or power
  // loss can lose the last transactions. busy_timeout covers another process writing while the
  // server starts; once open, waits for a lock happen off the event loop (sqlite-driver.ts).
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  raw.pragma('temp_store = MEMORY');
  // 16 MiB. Not more: a B-tree split parks a page at the lock-byte page's number, and the next commit
  // then truncates the page cache by walking its whole hash table, whose size follows the cache's
  // (33 µs at 64 MiB, on most commits under load: 4 % of the server's CPU on the REST path).
  raw.pragma('cache_size = -16384');
  // SQLite's built-in lower() folds ASCII only; case-insensitive search must fold all of Unicode
  // the way JavaScript (and PostgreSQL) do.
  raw.function('lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  // Checkpoints run on their own thread (below), so commits never stall copying the WAL back.
  // The large automatic threshold is only a backstop should that thread fall behind.
  raw.pragma('wal_autocheckpoint = 100000');
  raw.pragma('journal_size_limit = 67108864');
}

/**
 * Planner statistics: fresh at open (after the migrations), refreshed hourly (cheap when little
 * changed). It writes (ANALYZE), so it needs the write lock and room on the disk: without either
 * (a server busy writing while the CLI reads, a full disk) it is skipped, and the next round does it.
 */
function optimize(raw: BetterSqlite3.Database): void {
  try {
    raw.pragma('optimize = 0x10002');
  } catch {
    // Busy or unwritable: skipped.
  }
}

/**
 * SQLite's DDL is transactional, though Kysely's adapter says it is not: said, its migrator runs the
 * pending migrations in one transaction. Without it each statement committed alone, and a migration
 * whose record failed (a full disk, a kill between the two) stayed applied but unrecorded: every
 * later start failed running it again ("duplicate column name").
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely's SQLite dialect on the lock-waiting driver. */
class LockWaitingSqliteDialect extends SqliteDialect {
  constructor(
    private readonly connection: SqliteConnectionHandle,
    private readonly lockWaitMs: number,
  ) {
    super({ database: connection });
  }

  override createDriver(): Driver {
    return new LockWaitingSqliteDriver(this.connection, this.lockWaitMs);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** Open (creating if needed) and migrate a SQLite store. */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<KyselyStore> {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const raw = new BetterSqlite3(opts.file);
  try {
    configure(raw);
    // From now on SQLite never waits for a lock inside a statement (that would stop the event loop):
    // the driver waits between attempts instead.
    raw.pragma('busy_timeout = 0');
  } catch (err) {
    raw.close();
    throw err;
  }
  const optimizer = setInterval(() => {
    try {
      raw.pragma('optimize');
    } catch {
      // A busy database skips this round.
    }
  }, 3_600_000);
  optimizer.unref();
  const watch = opts.file === ':memory:' ? undefined : new DatabaseFileWatch(resolve(opts.file));
  const connection = guardedConnection(raw, opts.file === ':memory:' ? ':memory:' : resolve(opts.file), watch);
  const db = new Kysely<Database>({ dialect: new LockWaitingSqliteDialect(connection, opts.lockWaitMs ?? LOCK_WAIT_MS) });
  try {
    // The migrator writes in a transaction (BEGIN IMMEDIATE, the write lock) even with nothing to
    // run: only a database with pending migrations gets one, so an open that only reads (the CLI's
    // lists) needs no lock another process may hold, and no room on a full disk.
    if ((await pendingMigrations(db as Kysely<unknown>, 'sqlite')).length > 0) await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  } catch (err) {
    clearInterval(optimizer);
    watch?.stop();
    await db.destroy();
    throw err;
  }
  optimize(raw);
  const checkpointer = watch ? await startCheckpointer(resolve(opts.file), watch.opened, opts.checkpoints) : undefined;
  return new KyselyStore(db, sqliteTraits, async () => {
    clearInterval(optimizer);
    watch?.stop();
    await checkpointer?.stop();
  });
}

/**
 * The checkpointer: its own connection on a worker thread. Every 200 ms a PASSIVE checkpoint copies
 * what it can without blocking anyone. Under a sustained burst that never catches up (new frames
 * keep arriving), so once the WAL passes `restartBytes` a RESTART follows: it waits for the writer
 * between two transactions, copies the little the PASSIVE pass left, and lets the next write start
 * the WAL over. Written as plain CommonJS so it runs from sources and builds alike.
 *
 * Low on disk (less than `lowSpaceBytes` free where the database lives) the WAL is kept small
 * instead: past max(1 MiB, an eighth of the free space) a TRUNCATE checkpoint copies it back and
 * gives its space back. Otherwise the WAL of a busy server grows towards `restartBytes` within
 * seconds and takes the room an operator just freed on a full disk, filling it again with frames
 * the database cannot take back (a checkpoint needs room to grow the database): writes kept
 * failing until far more was freed.
 */
const CHECKPOINTER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { statSync, statfsSync } = require('node:fs');
const { dirname } = require('node:path');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// The path must still name the server's file: this thread starts after the server opened it, and a
// connection to a file put in its place would checkpoint the server's WAL into that file.
const own = statSync(workerData.file, { bigint: true });
const same = String(own.dev) === workerData.dev && String(own.ino) === workerData.ino;
if (!same) db.close();
else db.pragma('busy_timeout = 1000');
const walSize = () => { try { return statSync(workerData.file + '-wal').size; } catch (e) { return 0; } };
const freeBytes = () => { if (workerData.freeBytes !== null) return workerData.freeBytes; try { const s = statfsSync(dirname(workerData.file)); return s.bavail * s.bsize; } catch (e) { return Infinity; } };
let timer;
let stopped = false;
const round = () => {
  let low = false;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    const wal = walSize();
    const free = freeBytes();
    low = free < workerData.lowSpaceBytes;
    if (low) {
      if (wal > Math.max(1024 * 1024, free / 8)) db.pragma('wal_checkpoint(TRUNCATE)');
    } else if (wal > workerData.restartBytes) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) { /* busy, or no room to copy into: next round */ }
  // Low on space the WAL is looked at four times as often: a burst adds megabytes per round.
  if (!stopped) timer = setTimeout(round, low ? workerData.intervalMs / 4 : workerData.intervalMs);
};
if (same) timer = setTimeout(round, workerData.intervalMs);
parentPort.postMessage(same ? 'ready' : 'another file');
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  if (same) {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) {}
    db.close();
  }
  parentPort.postMessage('stopped');
});
`;

interface CheckpointerOptions {
  readonly intervalMs: number;
  readonly restartBytes: number;
  readonly lowSpaceBytes: number;
  readonly freeBytes: number | null;
}

/** Start the checkpointer on the file the server opened (`opened`); resolves once its connection is open. */
async function startCheckpointer(file: string, opened: { readonly dev: string; readonly ino: string }, opts: Partial<CheckpointerOptions> = {}): Promise<{ stop(): Promise<void> }> {
  const { intervalMs = 200, restartBytes = 64 * 1024 * 1024, lowSpaceBytes = 4 * restartBytes, freeBytes = null } = opts;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { file, driver, intervalMs, restartBytes, lowSpaceBytes, freeBytes, ...opened } });
  worker.unref();
  // A worker that failed at its start (no connection) has exited: stopping it must not wait for events already gone.
  let exited = false;
  worker.once('exit', () => (exited = true));
  await new Promise<void>((started) => {
    worker.once('message', () => started());
    worker.once('error', () => started());
    worker.once('exit', () => started());
  });
  return {
    stop: () =>
      new Promise<void>((done) => {
        if (exited) return done();
        const finish = () => {
          void worker.terminate().then(() => done());
        };
        worker.once('message', finish);
        worker.once('error', finish);
        worker.once('exit', () => done());
        worker.postMessage('stop');
      }),
  };
}
