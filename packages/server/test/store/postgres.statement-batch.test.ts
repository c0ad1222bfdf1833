/**
 * Statements sent as one batch under one Sync (`store/dialects/postgres-batch.ts`), against a real
 * server on a pipelined connection as the store opens them: after an error nothing else of the
 * batch runs, each statement gets its own rows, and the names of prepared statements stay right on
 * the connection whatever the batch met.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch, type BatchStatement } from '../../src/store/dialects/postgres-batch.js';
import { postgresTypes } from '../../src/store/dialects/postgres.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

const types = postgresTypes;

const st = (text: string, values?: unknown[], name?: string): BatchStatement => ({ text, values, name });

describe.skipIf(servicesOff)('statement batches on PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const rows = async (text: string) => (await client.query(text)).rows as Array<Record<string, unknown>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url, pipeline: true } as pg.ClientConfig);
    await client.connect();
    await client.query('create table gadgets (id bigint primary key, name text not null)');
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('answers each statement with its own rows and count, in order', async () => {
    const results = await runBatch(
      client,
      [
        st('begin', undefined, 'b'),
        st('insert into gadgets (id, name) values ($1, $2), ($3, $4)', [1, 'one', 2, 'two'], 'ins2'),
        st('select id, name from gadgets where id >= $1 order by id', [1], 'sel'),
        st('update gadgets set name = upper(name) where id = $1 returning id, name', [2], 'upd'),
        st('commit', undefined, 'c'),
      ],
      types,
    );
    expect(results.map((r) => r.command)).toEqual(['BEGIN', 'INSERT', 'SELECT', 'UPDATE', 'COMMIT']);
    expect(results[1]!.rowCount).toBe(2);
    expect(results[2]!.rows).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
    ]);
    expect(results[3]!.rows).toEqual([{ id: 2, name: 'TWO' }]);
  });

  it('runs nothing after a statement that failed, not even what would succeed alone (no BEGIN needed)', async () => {
    const failed = await runBatch(
      client,
      [st('select 1 / $1::int as x', [0], 'div'), st('insert into gadgets (id, name) values ($1, $2)', [10, 'ten'], 'ins1'), st('insert into gadgets (id, name) values (11, $1)', ['eleven'])],
      types,
    ).then(
      () => null,
      (err: unknown) => (err as { code?: string }).code,
    );
    expect(failed).toBe('22012');
    expect(await rows('select id from gadgets where id >= 10')).toEqual([]);
    // A failed BEGIN ends the same way: the writes behind it are skipped, never autocommitted.
    await client.query("set statement_timeout = '1ms'");
    try {
      const timedOut = await runBatch(client, [st('select pg_sleep(0.05)'), st('insert into gadgets (id, name) values ($1, $2)', [12, 'twelve'], 'ins1')], types).then(
        () => null,
        (err: unknown) => (err as { code?: string }).code,
      );
      expect(timedOut).toBe('57014');
    } finally {
      await client.query('reset statement_timeout');
    }
    expect(await rows('select id from gadgets where id >= 10')).toEqual([]);
  });

  it('keeps prepared statements’ names right through a failure: parsed before it, at it and skipped after it', async () => {
    const batch = (second: BatchStatement) => [st('select $1::int + 1 as n', [1], 'p1'), second, st('select $1::text as t', ['after'], 'p3')];
    // The second fails while running (its Parse succeeded), then with a parse error (it never existed).
    for (const second of [st('insert into gadgets (id, name) values ($1, $2)', [1, 'duplicate'], 'p2'), st('selec $1', [1], 'p2bad')]) {
      await expect(runBatch(client, batch(second), types)).rejects.toThrow();
    }
    // Each runs again on the same connection: none is parsed twice ("already exists") or taken for parsed ("does not exist").
    const again = await runBatch(client, batch(st('insert into gadgets (id, name) values ($1, $2)', [3, 'three'], 'p2')), types);
    expect(again.map((r) => r.rows)).toEqual([[{ n: 2 }], [], [{ t: 'after' }]]);
    const prepared = await rows("select name from pg_prepared_statements where name in ('p1', 'p2', 'p3', 'p2bad') order by name");
    expect(prepared).toEqual([{ name: 'p1' }, { name: 'p2' }, { name: 'p3' }]);
  });

  it('refuses a batch whose parameter cannot be sent, and writes nothing of it', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(runBatch(client, [st('insert into gadgets (id, name) values ($1, $2)', [20, 'twenty'], 'ins1'), st('select $1::jsonb', [circular], 'js')], types)).rejects.toThrow();
    expect(await rows('select id from gadgets where id = 20')).toEqual([]);
    expect(await rows('select 1 as ok')).toEqual([{ ok: 1 }]);
  });

  it('keeps names right for a statement twice in a batch, failing at its first use, and between batches and statements alone', async () => {
    const twice = 'select $1::int * 2 as d';
    // The first use fails at Bind, after its Parse: the second, skipped, binds to it without a Parse of its own.
    await expect(runBatch(client, [st(twice, ['x'], 'tw'), st(twice, [2], 'tw')], types)).rejects.toMatchObject({ code: '22P02' });
    expect((await client.query({ name: 'tw', text: twice, values: [3] })).rows).toEqual([{ d: 6 }]);
    // A statement whose first use, alone, failed while running is not parsed again by a batch, twice in it.
    const alone = 'select 10 / $1::int as q';
    await expect(client.query({ name: 'al', text: alone, values: [0] })).rejects.toMatchObject({ code: '22012' });
    const results = await runBatch(client, [st(alone, [5], 'al'), st(twice, [4], 'tw'), st(alone, [2], 'al')], types);
    expect(results.map((r) => r.rows)).toEqual([[{ q: 2 }], [{ d: 8 }], [{ q: 5 }]]);
    // One skipped after a failure, first used here: parsed by the statement alone that uses it next.
    const skipped = 'select $1::text || $1::text as dd';
    await expect(runBatch(client, [st(alone, [0], 'al'), st(skipped, ['a'], 'sk')], types)).rejects.toMatchObject({ code: '22012' });
    expect((await client.query({ name: 'sk', text: skipped, values: ['b'] })).rows).toEqual([{ dd: 'bb' }]);
    expect(await rows("select name from pg_prepared_statements where name in ('tw', 'al', 'sk') order by name")).toEqual([{ name: 'al' }, { name: 'sk' }, { name: 'tw' }]);
  });

  it('reports a row it cannot parse after the batch has run, and the connection goes on in step', async () => {
    const picky = {
      getTypeParser(oid: number, format?: 'text' | 'binary') {
        if (oid === 25)
          return (value: string) => {
            if (value === 'bad') throw new Error('unparseable row');
            return value;
          };
        return types.getTypeParser(oid, format);
      },
    };
    const batch = (word: string) => [st('select $1::text as w', ['ok'], 'w1'), st('select $1::text as w', [word], 'w1'), st('select $1::int + 1 as n', [41], 'n1')];
    await expect(runBatch(client, batch('bad'), picky)).rejects.toThrow('unparseable row');
    const again = await runBatch(client, batch('fine'), picky);
    expect(again.map((r) => r.rows)).toEqual([[{ w: 'ok' }], [{ w: 'fine' }], [{ n: 42 }]]);
    expect(await rows('select 1 as ok')).toEqual([{ ok: 1 }]);
  });
});
