/**
 * Transactions sent as batches (`store/dialects/postgres-batch.ts`, `postgres-pipeline.ts`) meeting
 * what a server does to them: its backend terminated while a batch waits or between two batches, a
 * lock or statement timeout in the middle of a batch, a client-side query timeout on a silent link, an error
 * reported at the COMMIT. Nothing of a failed transaction may be committed, and the pool's next
 * user must get a connection that works, with its prepared statements' names right.
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/domain/ports/store.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { writeOnly } from '../../src/store/write-only.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';
import { TcpLink } from '../helpers/tcp-link.js';

const insert = (id: number, name: string) => CompiledQuery.raw(writeOnly('insert into gadgets (id, name) values ($1, $2)'), [id, name]);
const pid = async (db: Kysely<any>) => (await sql<{ pid: number }>`select pg_backend_pid() as pid where ${1}::int = 1`.execute(db)).rows[0]!.pid;

describe.skipIf(servicesOff)('batched transactions on PostgreSQL meeting failures', () => {
  let db: TestDatabase;
  let admin: pg.Client;
  const stores: KyselyStore[] = [];
  const open = async (opts: { url?: string; lockTimeoutMs?: number; statementTimeoutMs?: number; queryTimeoutMs?: number } = {}) => {
    const store = await openPostgresStore({ url: opts.url ?? db.url, poolSize: 1, migrate: false, ...opts });
    stores.push(store);
    return store;
  };
  const ids = async () => (await admin.query<{ id: number }>('select id from gadgets order by id')).rows.map((r) => r.id);
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'committed',
      (err: unknown) => err,
    );
  /** Wait until a backend of the store waits for a lock, and give its pid. */
  const waitingBackend = async (): Promise<number> => {
    for (;;) {
      const { rows } = await admin.query<{ pid: number }>(
        "select pid from pg_stat_activity where datname = current_database() and application_name = 'switchboard' and wait_event_type = 'Lock'",
      );
      if (rows[0]) return rows[0].pid;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  /** Run `during` while another connection holds row 100 locked; the lock goes when it ends. */
  const whileRowLocked = async (during: () => Promise<void>): Promise<void> => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('select * from gadgets where id = 100 for update');
      await during();
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query('create table gadgets (id int primary key, name text not null)');
    await admin.query("insert into gadgets values (100, 'locked')");
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await admin.query('delete from gadgets where id <> 100');
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('fails a transaction whose backend is terminated while a batch waits, commits nothing of it, and hands out a working connection', async () => {
    const store = await open({ lockTimeoutMs: 0 });
    const before = await pid(store.db);
    await whileRowLocked(async () => {
      const tx = outcome(
        store.db.transaction().execute(async (t) => {
          await t.executeQuery(insert(1, 'one'));
          await sql`update gadgets set name = ${'mine'} where id = 100 returning id`.execute(t);
          await t.executeQuery(insert(2, 'two'));
        }),
      );
      const waiting = await waitingBackend();
      expect(waiting).toBe(before);
      await admin.query('select pg_terminate_backend($1)', [waiting]);
      const result = await tx;
      expect(result).toBeInstanceOf(StoreUnavailableError);
    });
    expect(await ids()).toEqual([100]);
    // The next user gets another connection, on which the same statements are parsed anew.
    expect(await pid(store.db)).not.toBe(before);
    await store.db.transaction().execute(async (t) => {
      await t.executeQuery(insert(1, 'one'));
      await sql`update gadgets set name = ${'mine'} where id = 100 returning id`.execute(t);
      await t.executeQuery(insert(2, 'two'));
    });
    expect(await ids()).toEqual([1, 2, 100]);
  });

  it('fails a transaction whose backend is terminated between two of its batches, and commits nothing of it', async () => {
    const store = await open();
    let terminated = 0;
    const result = await outcome(
      store.db.transaction().execute(async (t) => {
        await t.executeQuery(insert(1, 'one'));
        terminated = await pid(t);
        await admin.query('select pg_terminate_backend($1)', [terminated]);
        // Wait until it is gone, so the next batch meets a dead connection.
        while ((await admin.query('select 1 from pg_stat_activity where pid = $1', [terminated])).rowCount) await new Promise((r) => setTimeout(r, 10));
        await t.executeQuery(insert(2, 'two'));
      }),
    );
    expect(result).toBeInstanceOf(StoreUnavailableError);
    expect(await ids()).toEqual([100]);
    expect(await pid(store.db)).not.toBe(terminated);
    await store.db.transaction().execute(async (t) => {
      await t.executeQuery(insert(1, 'one'));
      await t.executeQuery(insert(2, 'two'));
    });
    expect(await ids()).toEqual([1, 2, 100]);
  });

  it.each([
    ['lock timeout', { lockTimeoutMs: 50 }, '55P03'],
    ['statement timeout', { lockTimeoutMs: 0, statementTimeoutMs: 50 }, '57014'],
  ])('fails a transaction whose held statement meets the %s in the middle of a batch, and the pool works on', async (_, timeouts, code) => {
    const store = await open(timeouts);
    await whileRowLocked(async () => {
      const result = await outcome(
        store.db.transaction().execute(async (t) => {
          await t.executeQuery(insert(1, 'one'));
          await t.executeQuery(CompiledQuery.raw(writeOnly('update gadgets set name = $1 where id = $2'), ['mine', 100]));
          await t.executeQuery(insert(2, 'two'));
        }),
      );
      expect(result).toBeInstanceOf(StoreUnavailableError);
      expect(((result as Error).cause as { code?: string }).code).toBe(code);
    });
    expect(await ids()).toEqual([100]);
    await store.db.transaction().execute(async (t) => {
      await t.executeQuery(insert(1, 'one'));
      await t.executeQuery(CompiledQuery.raw(writeOnly('update gadgets set name = $1 where id = $2'), ['mine', 100]));
      await t.executeQuery(insert(2, 'two'));
    });
    expect(await ids()).toEqual([1, 2, 100]);
  });

  it('fails a transaction waiting on a silent link after the query timeout, and works once the link answers', async () => {
    const link = TcpLink.to(db.url);
    await link.up();
    try {
      const store = await open({ url: link.via(db.url), queryTimeoutMs: 300 });
      await pid(store.db);
      const result = await outcome(
        store.db.transaction().execute(async (t) => {
          await t.executeQuery(insert(1, 'one'));
          link.silence();
          await sql`select id from gadgets where id = ${100}`.execute(t);
        }),
      );
      expect(result).toBeInstanceOf(StoreUnavailableError);
      link.heal();
      expect(await ids()).toEqual([100]);
      await store.db.transaction().execute(async (t) => {
        await t.executeQuery(insert(1, 'one'));
        await sql`select id from gadgets where id = ${100}`.execute(t);
      });
      expect(await ids()).toEqual([1, 100]);
    } finally {
      link.heal();
      await link.down();
    }
  });

  it('reuses the connection after a unique violation reported at the COMMIT, its statements’ names right in batches and alone', async () => {
    const store = await open();
    const before = await pid(store.db);
    const failed = await outcome(
      store.db.transaction().execute(async (t) => {
        await t.executeQuery(insert(1, 'one'));
        await t.executeQuery(insert(100, 'duplicate'));
        await t.executeQuery(insert(2, 'two'));
      }),
    );
    expect((failed as { code?: string }).code).toBe('23505');
    expect(await ids()).toEqual([100]);
    // The same connection: the statements parsed before the failure are not parsed again, those skipped after it are.
    expect(await pid(store.db)).toBe(before);
    await store.db.executeQuery(insert(3, 'three'));
    await store.db.transaction().execute(async (t) => {
      await t.executeQuery(insert(1, 'one'));
      await t.executeQuery(insert(2, 'two'));
    });
    expect(await ids()).toEqual([1, 2, 3, 100]);
    expect(await pid(store.db)).toBe(before);
  });

  it('parses on a connection what a failed batch skipped, and not again what a statement that failed alone parsed', async () => {
    const store = await open();
    const before = await pid(store.db);
    const update = (name: string, id: number) => CompiledQuery.raw('update gadgets set name = $1 where id = $2 returning id', [name, id]);
    // Alone, a first use that fails while running (its Parse succeeded): the batch after it binds without parsing.
    expect((await outcome(store.db.executeQuery(CompiledQuery.raw('insert into gadgets (id, name) values ($1, $2) returning id', [100, 'again'])))) as { code?: string }).toMatchObject({ code: '23505' });
    // In a batch, a first use skipped after the failure: used alone afterwards, it is parsed.
    const failed = await outcome(
      store.db.transaction().execute(async (t) => {
        await t.executeQuery(insert(100, 'again'));
        await t.executeQuery(update('never', 100));
      }),
    );
    expect((failed as { code?: string }).code).toBe('23505');
    expect((await store.db.executeQuery(update('alone', 100))).rows).toEqual([{ id: 100 }]);
    await store.db.transaction().execute(async (t) => {
      await t.executeQuery(CompiledQuery.raw('insert into gadgets (id, name) values ($1, $2) returning id', [5, 'five']));
      await t.executeQuery(update('batched', 100));
    });
    expect(await pid(store.db)).toBe(before);
    expect((await admin.query('select id, name from gadgets order by id')).rows).toEqual([
      { id: 5, name: 'five' },
      { id: 100, name: 'batched' },
    ]);
    await admin.query("update gadgets set name = 'locked' where id = 100");
  });

  it('writes a NUL of a held statement’s text and array parameters as U+FFFD', async () => {
    const store = await open();
    await store.db.transaction().execute(async (t) => {
      await t.executeQuery(insert(1, 'a\u0000b'));
      await t.executeQuery(CompiledQuery.raw(writeOnly('insert into gadgets (id, name) select $1, array_to_string($2::text[], \',\')'), [2, ['c\u0000', 'd']]));
    });
    expect((await admin.query('select name from gadgets where id < 100 order by id')).rows).toEqual([{ name: 'a\ufffdb' }, { name: 'c\ufffd,d' }]);
  });

  it('sends held statements of 65,000 parameters each in one batch, all or nothing', async () => {
    const store = await open();
    // One row each, the largest of 65,000 parameters: the parameters cost, not the rows.
    const text = writeOnly(`insert into gadgets (id, name) select max(v), 'g' from (values ${Array.from({ length: 65_000 }, (_, i) => `($${i + 1}::int)`).join(', ')}) as t (v)`);
    const largest = (top: number) => CompiledQuery.raw(text, Array.from({ length: 65_000 }, (_, i) => top - i));
    // The third one's row collides with row 100: nothing of the three is kept.
    const failed = await outcome(
      store.db.transaction().execute(async (t) => {
        for (const top of [1_000, 2_000, 100]) await t.executeQuery(largest(top));
      }),
    );
    expect((failed as { code?: string }).code).toBe('23505');
    expect(await ids()).toEqual([100]);
    await store.db.transaction().execute(async (t) => {
      for (const top of [1_000, 2_000]) await t.executeQuery(largest(top));
    });
    expect(await ids()).toEqual([100, 1_000, 2_000]);
  });

  it('keeps many concurrent transactions on a small pool apart, failed ones leaving nothing', async () => {
    const store = await open();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        outcome(
          store.db.transaction().execute(async (t) => {
            await t.executeQuery(insert(1_000 + i, 'a'));
            await sql`select count(*) as n from gadgets where id = ${1_000 + i}`.execute(t);
            // Every third collides with row 100 at the COMMIT, every fifth gives up before it.
            await t.executeQuery(insert(i % 3 === 0 ? 100 : 2_000 + i, 'b'));
            if (i % 5 === 0) throw new Error('given up');
          }),
        ),
      ),
    );
    const kept = results.flatMap((r, i) => (r === 'committed' ? [1_000 + i, 2_000 + i] : []));
    expect(results.filter((r) => r === 'committed').length).toBe(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 !== 0 && i % 5 !== 0).length);
    expect(await ids()).toEqual([...kept.sort((a, b) => a - b), 100].sort((a, b) => a - b));
  });

  it('fails a transaction whose backend is terminated while a large batch is still being written, and hands out a working connection', async () => {
    const store = await open({ lockTimeoutMs: 0 });
    const before = await pid(store.db);
    const rows = 30_000;
    const big = CompiledQuery.raw(
      writeOnly(`insert into gadgets (id, name) values ${Array.from({ length: rows }, (_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ')}`),
      Array.from({ length: rows }, (_, i) => [1_000 + i, 'x'.repeat(200)]).flat(),
    );
    await whileRowLocked(async () => {
      const tx = outcome(
        store.db.transaction().execute(async (t) => {
          await t.executeQuery(CompiledQuery.raw(writeOnly('update gadgets set name = $1 where id = $2'), ['mine', 100]));
          for (let i = 0; i < 4; i++) await t.executeQuery(big);
        }),
      );
      await admin.query('select pg_terminate_backend($1)', [await waitingBackend()]);
      expect(await tx).toBeInstanceOf(StoreUnavailableError);
    });
    expect(await ids()).toEqual([100]);
    expect(await pid(store.db)).not.toBe(before);
  });
});
