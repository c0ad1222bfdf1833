/**
 * The SQLite WAL when the disk is nearly full. A busy server's WAL grows towards 64 MB between
 * RESTART checkpoints; on a disk an operator just freed after it filled up, that growth took the
 * room back within a second or two, the disk was full again with frames the database could not take
 * back (a checkpoint needs room to grow the database), and writes kept failing. Low on space, the
 * checkpointer keeps the WAL near an eighth of the free space and gives the rest back.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';

const MiB = 1024 * 1024;
const BLOB = 'x'.repeat(3000);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-wal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Largest WAL seen while `n` one-row transactions run back to back, yielding to the checkpointer now and then. */
async function burstWal(freeBytes: number, n = 8000): Promise<number> {
  const file = join(dir, `db-${freeBytes}.sqlite`);
  const store: KyselyStore = await openSqliteStore({ file, checkpoints: { freeBytes } });
  const db = store.db as unknown as Kysely<any>;
  try {
    await sql`create table filler (id integer primary key, body text)`.execute(db);
    // The checkpointer's thread is running.
    await new Promise((r) => setTimeout(r, 500));
    let largest = 0;
    for (let i = 0; i < n; i++) {
      await db.transaction().execute((trx) => trx.insertInto('filler').values({ body: BLOB }).execute());
      if (i % 20 === 0) {
        largest = Math.max(largest, statSync(`${file}-wal`).size);
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    return largest;
  } finally {
    await store.close();
  }
}

describe('the SQLite checkpointer low on disk space', () => {
  it('keeps the WAL near an eighth of the free space instead of letting a burst take it', async () => {
    // 16 MiB free: the WAL is copied back and truncated past 2 MiB (plus what a 50 ms round adds;
    // about 5 MiB at most on two busy cores).
    expect(await burstWal(16 * MiB)).toBeLessThan(12 * MiB);
    // With room to spare the same burst (24 MB of rows) grows the WAL far past that: RESTART only at 64 MiB.
    expect(await burstWal(10_000 * MiB)).toBeGreaterThan(32 * MiB);
  }, 60_000);
});
