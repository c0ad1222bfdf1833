/**
 * The SQLite store while another process holds the database's write lock (`sqlite3` with an open
 * `BEGIN IMMEDIATE`, a backup tool, the CLI). better-sqlite3 is synchronous: a write that waited for
 * the lock inside SQLite (busy_timeout) stopped the event loop, so the whole server stood still for
 * every write while the lock was held. Writes now wait between attempts, off the event loop: reads
 * and timers go on, a write gets through as soon as the lock is released, and writes give up with
 * `StoreUnavailableError` (503) a bounded time after the lock was first found held.
 */
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/domain/ports/store.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';

let dir: string;
let store: KyselyStore;
let db: Kysely<any>;
let other: BetterSqlite3.Database;

async function open(lockWaitMs: number): Promise<void> {
  store = await openSqliteStore({ file: join(dir, 'switchboard.db'), lockWaitMs });
  db = store.db as unknown as Kysely<any>;
  await sql`create table t (id integer primary key, v text)`.execute(db);
  await db.insertInto('t').values({ v: 'first' }).execute();
  other = new BetterSqlite3(join(dir, 'switchboard.db'));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-lock-'));
});
afterEach(async () => {
  if (other?.inTransaction) other.exec('rollback');
  other?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = async () => Number((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!.n);
/** A turn of the event loop with its timers: a write that held the loop would have settled by then. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 20));

function watch<T>(p: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let done = false;
  const result = p.finally(() => (done = true));
  result.catch(() => undefined);
  return { settled: () => done, result };
}

describe('the SQLite store while another process holds the write lock', () => {
  it('waits off the event loop: reads go on, and the write gets through once the lock is released', async () => {
    await open(60_000);
    other.exec('begin immediate');
    const tx = watch(store.db.transaction().execute((trx) => (trx as unknown as Kysely<any>).insertInto('t').values({ v: 'in a transaction' }).execute()));
    const single = watch(db.insertInto('t').values({ v: 'on its own' }).execute());
    await turn();
    expect(tx.settled()).toBe(false);
    expect(single.settled()).toBe(false);
    // Reads need no lock in WAL mode, and do not queue behind the waiting writes.
    expect(await count()).toBe(1);
    expect(tx.settled()).toBe(false);

    other.exec('commit');
    await tx.result;
    await single.result;
    expect(await count()).toBe(3);
  });

  it('gives writes up with StoreUnavailableError after the lock wait, then at once until one gets through', async () => {
    await open(200);
    other.exec('begin immediate');
    const first = await db.insertInto('t').values({ v: 'waits, then gives up' }).execute().then(() => null, (e: unknown) => e as Error);
    expect(isStoreUnavailable(first)).toBe(true);
    expect(first!.message).toMatch(/database is locked \(SQLITE_BUSY\); another process holds its lock/);
    // The lock is still held: later writes do not wait the whole time again.
    const tx = watch(store.transaction((r) => r.leases.acquire('probe', 'me', 0, 1000)));
    await turn();
    expect(tx.settled()).toBe(true);
    expect(isStoreUnavailable(await tx.result.then(() => null, (e: unknown) => e))).toBe(true);

    other.exec('commit');
    await db.insertInto('t').values({ v: 'after' }).execute();
    expect(await count()).toBe(2);
  });
});
