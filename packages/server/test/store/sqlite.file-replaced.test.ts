/**
 * The SQLite store when its database file is replaced or removed while it runs (a backup restored
 * over it, another file moved onto its name). SQLite in WAL mode does not notice: writes went on into
 * the file the store had open, which no name reached any more, and were lost at the next start.
 * Writes are now refused with `StoreUnavailableError` while the path names another file (reads go
 * on), and taken again once the original is back under its name.
 */
import { sql, type Kysely } from 'kysely';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/domain/ports/store.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { eventually } from '../helpers/server.js';

let dir: string;
let store: KyselyStore;
let db: Kysely<any>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-replaced-'));
  store = await openSqliteStore({ file: join(dir, 'switchboard.db') });
  db = store.db as unknown as Kysely<any>;
  await sql`create table t (id integer primary key, v text)`.execute(db);
  await db.insertInto('t').values({ v: 'first' }).execute();
});
afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = async () => Number((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!.n);
const write = (v: string) => db.insertInto('t').values({ v }).execute().then(() => null, (e: unknown) => e as Error);
const inTransaction = () => store.transaction((tx) => tx.leases.acquire('replaced-test', 'me', 0, 1000)).then(() => null, (e: unknown) => e as Error);

describe('the SQLite store when its file is replaced under it', () => {
  it('refuses writes while the path names another file, serves reads, and writes again once the original is back', async () => {
    const file = join(dir, 'switchboard.db');
    renameSync(file, join(dir, 'original.db'));
    // Copied by another process, as an operator would: a file this process opens and closes drops
    // its POSIX locks on it, SQLite's included.
    execFileSync(process.execPath, ['-e', 'require("fs").copyFileSync(process.argv[1], process.argv[2])', join(dir, 'original.db'), file]);

    // Noticed within a check interval: writes made before that went into the file the store has open.
    const refused = await eventually(async () => (await write('into the replaced file')) ?? undefined, 10_000, 'a write refused');
    const written = await count();
    expect(isStoreUnavailable(refused)).toBe(true);
    expect(refused.message).toMatch(/was replaced or removed while the server runs/);
    expect(isStoreUnavailable(await inTransaction())).toBe(true);
    expect(await write('refused too')).not.toBeNull();
    expect(await count()).toBe(written);

    rmSync(file);
    renameSync(join(dir, 'original.db'), file);
    await eventually(async () => ((await write('after')) === null ? true : undefined), 10_000, 'a write taken again');
    expect(await inTransaction()).toBeNull();
    expect(await count()).toBe(written + 1);
  });
});
