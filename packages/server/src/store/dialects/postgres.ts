/**
 * The PostgreSQL store (node-postgres pool), for running several nodes on one database. Everything
 * PostgreSQL-specific lives in this file: the pool and its error mapping, BIGINT parsing, row
 * locking of the work queues (`FOR UPDATE SKIP LOCKED`) and the engine's error codes.
 */
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { withoutNul } from '../../domain/clean-text.js';
import { StoreUnavailableError } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import { KyselyStore } from '../kysely-store.js';
import { sendBatch } from './postgres-batch.js';
import { TransactionPipeline, type Held } from './postgres-pipeline.js';
import { StopSilence } from './postgres-stop.js';
import { migrateToLatest, pendingMigrations } from '../migrations/index.js';
import type { Database } from '../schema.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?…` */
  readonly url: string;
  /** Connections in the pool (per node). */
  readonly poolSize?: number;
  /** Give up connecting after this long (ms): a node that cannot reach the database answers 503 instead of hanging. */
  readonly connectTimeoutMs?: number;
  /** Server-side limit of one statement (ms); 0 for none. */
  readonly statementTimeoutMs?: number;
  /** How long a statement waits for a lock before PostgreSQL gives it up (ms; default below); 0 for ever. */
  readonly lockTimeoutMs?: number;
  /** How long a statement may go unanswered before its connection is taken for dead (ms; default below); 0 for ever. */
  readonly queryTimeoutMs?: number;
  /** Bring the schema up to date (default), or only check it is current and refuse to start otherwise. */
  readonly migrate?: boolean;
  /** Told when the pool reports a broken idle connection (the store itself recovers). */
  readonly onPoolError?: (err: Error) => void;
}

/** SQLSTATE classes and codes that mean "the server is unreachable or going away", not "the query is wrong". */
const UNAVAILABLE_SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** An error's `code`: a SQLSTATE from the server, or a Node code (ECONNRESET…) from the socket. */
function errorCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** True for errors that mean the database could not be reached or dropped the connection. */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = errorCode(err);
  if (code !== undefined && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE_CODES.has(code))) return true;
  const message = (err as { message?: unknown }).message;
  // node-postgres reports these without a code.
  return typeof message === 'string' && /^(Connection terminated|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly|Query read timeout)/i.test(message);
}

/**
 * SQLSTATEs that mean the server cannot store anything now, on a connection that is still fine:
 * insufficient resources (class 53: disk full 53100, out of memory 53200), or an I/O error (58030).
 */
const STORAGE_SQLSTATE = /^(53...|58030)$/;

/**
 * A read-only transaction (25006): the server answers, reads too, but takes no writes: a standby
 * (after a failover, or a URL naming a replica), or `default_transaction_read_only` set on the
 * database or role. Said as such: reported as "cannot store data", a CLI command's refusal came
 * with the advice to check that PostgreSQL runs and the URL points at it, which it did.
 */
const READ_ONLY_SQLSTATE = '25006';

/**
 * SQLSTATEs that mean the server gave up on a statement that may well succeed when tried again, not
 * that it is wrong: a `statement_timeout` (or an administrator's cancel) ends it with 57014, a
 * `lock_timeout` with 55P03, and a deadlock or serialization failure (40P01, 40001) rolls the
 * transaction back. Set on the server's role or database the timeouts hit any statement on a busy
 * server, held ones too (then reported at the COMMIT, postgres-pipeline.ts). As any other error they
 * answered 500 to a new message, and a state change was given up at once (only storage failures are
 * retried), leaving its message where it was; as a storage failure they answer 503, and the state
 * change waits and is retried.
 */
const TRANSIENT_SQLSTATE = /^(57014|55P03|40001|40P01)$/;

/**
 * SQLSTATEs that may come from the connection's own session settings rather than from the server's
 * state now: read-only (25006), a statement or lock timeout (57014, 55P03). `ALTER DATABASE` or
 * `ALTER ROLE … SET default_transaction_read_only | statement_timeout | lock_timeout` reaches only
 * sessions that start afterwards, and resetting it does not reach them either, so a pooled
 * connection opened during such a setting kept it after the administrator reset it: the node
 * answered 503 until it was restarted. A connection that reports one of these is retired; the next
 * one reads the settings as they are now.
 */
const SESSION_SETTING_SQLSTATE = new Set([READ_ONLY_SQLSTATE, '57014', '55P03']);

/** The connection should not be used again after `err`: it is broken, or may carry stale session settings. */
export function retiresConnection(err: unknown): boolean {
  const code = errorCode(err);
  // 0A000: a table changed under a prepared statement (another node migrated).
  return isConnectionError(err) || code === '0A000' || (code !== undefined && SESSION_SETTING_SQLSTATE.has(code));
}

/**
 * The node's database role lost a privilege it needs (42501 insufficient_privilege: `REVOKE INSERT ON
 * messages FROM …`, a role changed under a running node). Nothing a client sent is wrong, and the
 * node cannot work until an administrator grants it back: an outage as any other, not a 500 (the
 * surfaces answered 500 "internal error", readiness stayed green, and state changes hit by it were
 * given up at once instead of waiting). GRANT reaches running sessions, so recovery needs nothing more.
 */
const PRIVILEGE_SQLSTATE = '42501';

/**
 * The server refused the connection itself: no such role or a wrong password (class 28), or no such
 * database (3D000). The URL is at fault, not a statement: at start the operator must fix
 * `database.url` (it printed a stack trace), and later (a role or database dropped under a running
 * node) it is an outage like any other.
 */
const CONNECTION_REFUSED_SQLSTATE = /^(28...|3D000)$/;

/** What an error with SQLSTATE `code` says of the database as an outage, or null when the statement is at fault. */
function outage(code: string): string | null {
  if (code === READ_ONLY_SQLSTATE) return 'database takes no writes (a read-only transaction: a standby, or default_transaction_read_only)';
  if (STORAGE_SQLSTATE.test(code)) return 'database cannot store data';
  if (TRANSIENT_SQLSTATE.test(code)) return 'database gave up on a statement';
  if (code === PRIVILEGE_SQLSTATE) return "database refuses this node's role";
  if (CONNECTION_REFUSED_SQLSTATE.test(code)) return 'database refuses the connection';
  return null;
}

/** Node's codes for a server certificate it does not trust (unknown CA, self-signed, expired, another name). */
const UNTRUSTED_CERTIFICATE = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/**
 * The URL asks for TLS (`sslmode`, `ssl=true`) and the server has none, or its certificate is not
 * trusted: the URL or the server's TLS setup is at fault, as with a refused role, so it is an outage
 * (503 later, one line at start) rather than a bug's stack trace. node-postgres gives the first no code.
 */
function tlsRefusal(err: unknown): string | null {
  const message = (err as { message?: unknown }).message;
  if (message === 'The server does not support SSL connections') return `${message}, but the database URL asks for TLS (its sslmode): remove sslmode, or turn TLS on in PostgreSQL`;
  const code = errorCode(err);
  if (code !== undefined && UNTRUSTED_CERTIFICATE.test(code)) return `its TLS certificate is not trusted (${code}: ${String(message)}): name its CA with sslrootcert=<file> in the database URL`;
  return null;
}

/** node-postgres gave up waiting for the server: to connect (`connectionTimeoutMillis`) or for an answer (`query_timeout`). */
function timedOut(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /^(Connection terminated due to connection timeout|timeout expired|timeout exceeded when trying to connect|Query read timeout)/i.test(message)) return true;
  }
  return false;
}

/**
 * What the server said when it refused a new session: any SQLSTATE then is about the connection, not
 * a statement. Besides those `outage` names, `ALTER DATABASE … ALLOW_CONNECTIONS false` (a database
 * being maintained, or about to be dropped) answers 55000, which at a statement means something else:
 * the surfaces answered 500 "internal error" while it lasted.
 */
function refusedSession(err: unknown): unknown {
  const mapped = unavailable(err);
  if (mapped !== err || !(err instanceof pg.DatabaseError)) return mapped;
  return new StoreUnavailableError(`database refuses the connection: ${err.message} (SQLSTATE ${err.code})`, { cause: err });
}

function unavailable(err: unknown): unknown {
  if (isConnectionError(err)) return new StoreUnavailableError(`database unavailable: ${(err as Error).message}`, { cause: err });
  const tls = typeof err === 'object' && err !== null ? tlsRefusal(err) : null;
  if (tls) return new StoreUnavailableError(`database refuses the connection: ${tls}`, { cause: err });
  const code = errorCode(err);
  if (code === undefined) return err;
  const what = outage(code);
  return what ? new StoreUnavailableError(`${what}: ${(err as Error).message} (SQLSTATE ${code})`, { cause: err, ...(code === READ_ONLY_SQLSTATE ? { reason: 'read-only' as const } : {}) }) : err;
}

/**
 * Names for the statements a node runs again and again, so each connection parses them once
 * (node-postgres prepares a named statement on a connection the first time it runs there):
 * the batch inserts of the hot path are kilobytes of text with hundreds of parameters, and sending
 * and parsing them for every batch cost both processes more than executing them. Statements with
 * parameters only; past `limit` distinct texts, new ones run unnamed.
 */
class StatementNames {
  private readonly names = new Map<string, string>();
  constructor(private readonly limit = 2_000) {}

  of(text: string): string | undefined {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < this.limit) {
      name = `sb${this.names.size.toString(36)}`;
      this.names.set(text, name);
    }
    return name;
  }
}

/**
 * Hear the 'error' of every client of `pool` from the moment it is connected. A connection that
 * breaks while checked out emits 'error' on its client (its query is failed separately); unheard,
 * that event ends the process. The pool stops listening when it hands a client out, so the listener
 * goes on at 'connect', before the hand-out: a termination (57P01) read in the same chunk as the
 * connection's first ReadyForQuery is emitted before the caller of `connect()` resumes.
 */
export function watchClientErrors(pool: pg.Pool, onError: (err: Error) => void): void {
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
}

/**
 * The pool as Kysely sees it, with connection failures turned into `StoreUnavailableError`, and
 * connections and statements given up on once the node is stopping and the database is silent
 * (`postgres-stop.ts`).
 */
function guardedPool(pool: pg.Pool, onError: (err: Error) => void, silence: StopSilence): PostgresPool {
  watchClientErrors(pool, onError);
  const statementNames = new StatementNames();
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        // A connection that comes after it was given up on goes back, closed, rather than staying checked out.
        client = await silence.guard<pg.PoolClient>(
          (done) => pool.connect(done),
          undefined,
          (late) => late.release(true),
        );
      } catch (err) {
        throw refusedSession(err);
      }
      let broken = false;
      const failure = (err: unknown): unknown => {
        if (retiresConnection(err)) broken = true;
        return unavailable(err);
      };
      // A statement given up on (the stop's silence) retires its connection.
      const abandon = () => (broken = true);
      const run = (text: string, params?: readonly unknown[]) => {
        const name = params && params.length ? statementNames.of(text) : undefined;
        const values = params && params.length ? paramsWithoutNul(params) : (params as unknown[] | undefined);
        return silence.guard<pg.QueryResult>((done) => {
          const answered = (err: Error | null, result: pg.QueryResult) => (err ? done(failure(err)) : done(null, result));
          client.query(name ? { name, text, values } : { text, values }, answered);
        }, abandon);
      };
      const runMany = (statements: readonly Held[]) => {
        const batch = statements.map(({ text, params }) => ({
          text,
          // Every statement of a batch is named, BEGIN and COMMIT too: each is parsed once per connection.
          name: statementNames.of(text),
          values: params && params.length ? paramsWithoutNul(params) : undefined,
        }));
        return silence.guard<pg.QueryResult>(
          (done) => sendBatch(client, batch, postgresTypes, (err, results) => (err ? done(failure(err)) : done(null, results![results!.length - 1]!))),
          abandon,
        );
      };
      const pipeline = new TransactionPipeline(run, runMany);
      return {
        query: ((text: unknown, params?: readonly unknown[]) => {
          if (typeof text !== 'string') return client.query(text as never);
          // Once the database was silent through the stop, a statement the pipeline would hold fails at once too.
          if (silence.refused) return Promise.reject(silence.error());
          return pipeline.query(text, params);
        }) as unknown as PostgresPoolClient['query'],
        // A connection that failed is destroyed rather than handed to the next caller.
        release: () => client.release(broken ? true : undefined),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * PostgreSQL's text cannot hold U+0000 (SQLite's can). Input is cleaned where it enters
 * (`domain/clean-text.ts`); text from carriers and webhook receivers (an error detail, an answer's
 * excerpt) is not, and a NUL there would fail its statement (a state change or settle retried for
 * ever). Text parameters, and the strings of array parameters, carry U+FFFD in its place; the same
 * array comes back when there is none (the usual case, checked without allocating).
 */
function paramsWithoutNul(params: readonly unknown[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < params.length; i++) {
    const v = params[i];
    let clean = v;
    if (typeof v === 'string') clean = withoutNul(v);
    else if (Array.isArray(v) && v.some((e) => typeof e === 'string' && e.includes('\u0000'))) {
      clean = v.map((e: unknown) => (typeof e === 'string' ? withoutNul(e) : e));
    }
    if (clean !== v) (out ??= [...params])[i] = clean;
  }
  return out ?? (params as unknown[]);
}

/**
 * JSON for a parameter PostgreSQL reads as `jsonb`, which refuses the escape `\u0000` (JSON text can
 * carry a NUL, `jsonb` cannot): written as `\ufffd`, as `paramsWithoutNul` does for text. An escape is
 * one only after an even run of backslashes (`\\u0000` is a backslash, then the text "u0000").
 */
function postgresJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\u0000') ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : text;
}

/** BIGINT (int8, OID 20) as a JavaScript number: ids, sequence numbers and ms times all fit in 2^53. */
export const postgresTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export const postgresTraits: DialectTraits = {
  name: 'postgres',
  lockForClaim: (query) => query.forUpdate().skipLocked(),
  lockForUpdate: (query) => query.forUpdate(),
  lockReferenced: (query) => query.forNoKeyUpdate(),
  // An expression no index serves, as SQLite's unary +: with no statistics yet (a table's first
  // minute, before autovacuum's first ANALYZE) the planner read the whole project through
  // (project_id, seq) for `id IN (…)` instead of looking the ids up.
  keyLookupInProject: (projectId, column = 'project_id') => sql<boolean>`(${sql.ref(column)} || '') = ${projectId}`,
  isUniqueViolation: (err) => errorCode(err) === '23505',
  // The wire protocol counts bind parameters in 16 bits.
  maxParameters: 65_000,
  jsonParam: postgresJson,
};

/**
 * How long a statement of the running node waits for a lock. The node's own transactions hold row
 * locks for milliseconds; a lock held longer is someone else's (`LOCK TABLE messages IN ACCESS
 * EXCLUSIVE MODE` in a psql session, a long migration or maintenance). Without a limit every
 * request touching the table waited for as long as it was held, the pool's connections with them,
 * and the rest of the node queued behind the pool: requests hung for the lock's whole duration
 * (RELAY answered "outcome unknown" after 8 s). The statement now fails with 55P03 after this long,
 * answered as 503 and retried like any lock timeout. Migrations wait without a limit (their own
 * pool): nodes starting together take turns under the migration lock.
 */
const LOCK_TIMEOUT_MS = 5_000;

/**
 * How long a statement may wait for its answer before the connection is taken for dead. TCP
 * keepalive finds a peer that is gone, not one that keeps the connection open and never answers: a
 * stopped or hung server, a proxy or load balancer in front of one. A request on such a connection
 * waited for ever (RELAY answered "outcome unknown" after 8 s, HTTP clients gave up), and a stopping
 * node waited for it too. Past this the statement fails as a connection error (503, state changes
 * retried) and node-postgres destroys its connection. Well above the lock timeout and anything the
 * node's own statements take; migrations wait without it (their own pool).
 */
const QUERY_TIMEOUT_MS = 20_000;

/** A node-postgres pool for a URL with Switchboard's settings. */
export function createPool(opts: PostgresStoreOptions): pg.Pool {
  const lockTimeoutMs = opts.lockTimeoutMs ?? LOCK_TIMEOUT_MS;
  const queryTimeoutMs = opts.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    // A link that goes silent without closing (a partition, a host gone) would hold a checked-out
    // connection, and the requests behind it, until the OS gave up (hours). Probes start after 10 s
    // of silence; Node (libuv ≥ 1.35) sends ten, a second apart: such a link fails in about 20 s, as a
    // connection error (503, retried), while a long statement on a live link keeps its connection.
    keepAliveInitialDelayMillis: 10_000,
    // Queries are sent without waiting for the one before: see postgres-pipeline.ts.
    pipeline: true,
    application_name: 'switchboard',
    // Prepared statements (below) are planned for their parameters at every run, never by a cached
    // generic plan: one made while a table was small (a new database) scans it whole once it has grown.
    // No JIT: every statement here is short, and a large estimate (the outbox's pending count per
    // project, a console list on a big table) would spend 10 ms and more compiling it.
    options: `-c plan_cache_mode=force_custom_plan -c jit=off${lockTimeoutMs > 0 ? ` -c lock_timeout=${Math.round(lockTimeoutMs)}` : ''}`,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(queryTimeoutMs > 0 ? { query_timeout: queryTimeoutMs } : {}),
    types: postgresTypes,
  });
  // An idle connection that breaks (server restart) is reported here; without a listener it would crash the process.
  pool.on('error', (err) => opts.onPoolError?.(err));
  return pool;
}

/** Open a PostgreSQL store, migrating it (or checking it is current when `migrate` is false). */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<KyselyStore> {
  if (opts.migrate !== false) {
    // Migrations wait for the migration lock without a lock or query timeout, on one connection of their own.
    const migrations = kyselyOn(createPool({ ...opts, poolSize: 1, lockTimeoutMs: 0, queryTimeoutMs: 0 }), opts);
    try {
      await migrateToLatest(migrations as Kysely<unknown>, 'postgres');
    } finally {
      await migrations.destroy();
    }
  }
  const silence = new StopSilence(timedOut);
  const db = kyselyOn(createPool(opts), opts, silence);
  try {
    if (opts.migrate === false) {
      const pending = await pendingMigrations(db as Kysely<unknown>, 'postgres');
      if (pending.length) throw new SchemaBehindError(`the database schema is behind this version (pending migrations: ${pending.join(', ')}); run "switchboard migrate" first`);
    }
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, postgresTraits, undefined, () => silence.begin());
}

function kyselyOn(pool: pg.Pool, opts: PostgresStoreOptions, silence = new StopSilence(timedOut)): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool(pool, (err) => opts.onPoolError?.(err), silence) }) });
}

/** The database needs migrations this node may not run (`database.migrate` is false). */
export class SchemaBehindError extends Error {
  override readonly name = 'SchemaBehindError';
}

/** A URL names a PostgreSQL database. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
