import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { writeOnly } from '../write-only.js';
import { TransactionPipeline } from './postgres-pipeline.js';

/** A pipeline over a recording client: which statements were sent in which corked write. */
function recorded(fail: (text: string) => Error | null = () => null) {
  const writes: string[][] = [];
  let corked = 0;
  let current: string[] | null = null;
  const socket = {
    cork() {
      if (corked++ === 0) current = [];
    },
    uncork() {
      if (--corked === 0) {
        writes.push(current!);
        current = null;
      }
    },
  };
  const run = (text: string) => {
    if (current) current.push(text);
    else writes.push([text]);
    const err = fail(text);
    return err ? Promise.reject(err) : Promise.resolve({ command: 'SELECT', rowCount: 1, rows: [{ text }], fields: [], oid: 0 } as unknown as pg.QueryResult);
  };
  return { pipeline: new TransactionPipeline(run, socket), writes };
}

const EVENTS = writeOnly('insert into message_events values ($1)');
const JOBS = writeOnly('delete from jobs where id in ($1)');

describe('TransactionPipeline', () => {
  it('sends BEGIN alone before a write, and write-only statements with the next one that needs an answer', async () => {
    const { pipeline, writes } = recorded();
    await pipeline.query('begin');
    const inserted = await pipeline.query('insert into messages values ($1) returning seq', [1]);
    expect(inserted.rows).toEqual([{ text: 'insert into messages values ($1) returning seq' }]);
    const held = await pipeline.query(EVENTS, [2]);
    expect(held.rows).toEqual([]);
    await pipeline.query(JOBS, [3]);
    await pipeline.query('commit');
    expect(writes).toEqual([['begin'], ['insert into messages values ($1) returning seq'], [EVENTS, JOBS, 'commit']]);
  });

  it('sends BEGIN with a first statement that only reads', async () => {
    const { pipeline, writes } = recorded();
    await pipeline.query('begin');
    await pipeline.query('select * from jobs where id = $1 for update', [1]);
    await pipeline.query('update jobs set attempts = 1 where id = $1', [1]);
    await pipeline.query('commit');
    expect(writes).toEqual([['begin', 'select * from jobs where id = $1 for update'], ['update jobs set attempts = 1 where id = $1'], ['commit']]);
  });

  it('never sends a write after a BEGIN that failed (it would run on its own, autocommitted)', async () => {
    const timeout = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    for (const transaction of [
      async (p: TransactionPipeline) => p.query('insert into messages values ($1) returning seq', [1]),
      async (p: TransactionPipeline) => {
        await p.query(EVENTS, [1]);
        return p.query('commit');
      },
    ]) {
      const { pipeline, writes } = recorded((text) => (text === 'begin' ? timeout : null));
      await pipeline.query('begin');
      await expect(transaction(pipeline)).rejects.toBe(timeout);
      await pipeline.query('rollback');
      expect(writes).toEqual([['begin'], ['rollback']]);
    }
  });

  it('sends nothing for a transaction that wrote nothing, and drops held statements on rollback', async () => {
    const { pipeline, writes } = recorded();
    await pipeline.query('begin');
    await pipeline.query('commit');
    await pipeline.query('begin');
    await pipeline.query(EVENTS, [1]);
    await pipeline.query('rollback');
    expect(writes).toEqual([]);
    await pipeline.query('begin');
    await pipeline.query('select 1');
    await pipeline.query(EVENTS, [1]);
    await pipeline.query('rollback');
    expect(writes).toEqual([['begin', 'select 1'], ['rollback']]);
  });

  it('reports a held statement’s error at the statement it was sent with', async () => {
    const violation = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    const { pipeline } = recorded((text) => (text === EVENTS ? violation : null));
    await pipeline.query('begin');
    await pipeline.query(EVENTS, [1]);
    // PostgreSQL answers the COMMIT of an aborted transaction with ROLLBACK, not an error.
    await expect(pipeline.query('commit')).rejects.toBe(violation);
  });

  it('runs statements outside a transaction at once, write-only or not', async () => {
    const { pipeline, writes } = recorded();
    await pipeline.query(EVENTS, [1]);
    await pipeline.query('select 1');
    expect(writes).toEqual([[EVENTS], ['select 1']]);
  });
});
