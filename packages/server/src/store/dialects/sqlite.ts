/**
 * The embedded SQLite store (better-sqlite3, WAL). Everything SQLite-specific lives here:
 * pragmas, the prepared-statement cache, and the (absent) row locking of the job queue, which
 * needs none because one process owns the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { DialectTraits } from '../dialect-traits.js';
import { KyselyStore } from '../kysely-store.js';
import { migrateToLatest } from '../migrations/index.js';
import type { Database } from '../schema.js';

export interface SqliteStoreOptions {
  /** Database file, or `:memory:`. */
  readonly file: string;
}

const sqliteTraits: DialectTraits = {
  name: 'sqlite',
  lockForClaim: (query) => query,
  isUniqueViolation: (err) => typeof err === 'object' && err !== null && String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT_UNIQUE'),
  // SQLite's default limit is 32766 bound parameters per statement.
  maxParameters: 32_000,
};

/** Kysely prepares every query; keep the statements of repeated SQL instead of re-parsing them. */
function withStatementCache(db: BetterSqlite3.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sqlText: string): SqliteStatement {
      const hit = cache.get(sqlText);
      if (hit) {
        // Refresh recency.
        cache.delete(sqlText);
        cache.set(sqlText, hit);
        return hit;
      }
      const stmt = db.prepare(sqlText) as unknown as SqliteStatement;
      // Multi-row inserts vary in length and are rarely repeated exactly; don't let them evict the rest.
      if (sqlText.length < 4096) {
        cache.set(sqlText, stmt);
        if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
  };
}

/** Open (creating if needed) and migrate a SQLite store. */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<KyselyStore> {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const raw = new BetterSqlite3(opts.file);
  // WAL + NORMAL: a committed transaction survives a process kill (-9); only an OS crash or power
  // loss can lose the last transactions. busy_timeout covers the CLI writing while the server runs.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  raw.pragma('temp_store = MEMORY');
  raw.pragma('cache_size = -65536');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  try {
    await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, sqliteTraits);
}
