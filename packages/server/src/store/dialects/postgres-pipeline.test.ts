import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { writeOnly } from '../write-only.js';
import { TransactionPipeline, type Held } from './postgres-pipeline.js';

/**
 * A pipeline over a recording client: what was sent, each entry one write (a batch under one Sync,
 * or a statement alone). `fail` gives the error a statement would meet; a batch fails with its first.
 */
function recorded(fail: (text: string) => Error | null = () => null) {
  const writes: string[][] = [];
  const answer = (text: string) => ({ command: 'SELECT', rowCount: 1, rows: [{ text }], fields: [], oid: 0 }) as unknown as pg.QueryResult;
  const run = (text: string) => {
    writes.push([text]);
    const err = fail(text);
    return err ? Promise.reject(err) : Promise.resolve(answer(text));
  };
  const runBatch = (statements: readonly Held[]) => {
    writes.push(statements.map((s) => s.text));
    for (const s of statements) {
      const err = fail(s.text);
      if (err) return Promise.reject(err);
    }
    return Promise.resolve(answer(statements[statements.length - 1]!.text));
  };
  return { pipeline: new TransactionPipeline(run, runBatch), writes };
}

const EVENTS = writeOnly('insert into message_events values ($1)');
const JOBS = writeOnly('delete from jobs where id in ($1)');

describe('TransactionPipeline', () => {
  it('sends BEGIN with the first statement that needs an answer, and write-only statements with the next one', async () => {
    const { pipeline, writes } = recorded();
    await pipeline.query('begin');
    const inserted = await pipeline.query('insert into messages values ($1) returning seq', [1]);
    expect(inserted.rows).toEqual([{ text: 'insert into messages values ($1) returning seq' }]);
    const held = await pipeline.query(EVENTS, [2]);
    expect(held.rows).toEqual([]);
    await pipeline.query(JOBS, [3]);
    await pipeline.query('commit');
    expect(writes).toEqual([['begin', 'insert into messages values ($1) returning seq'], [EVENTS, JOBS, 'commit']]);
  });

  it('sends a transaction of write-only statements as one batch', async () => {
    const { pipeline, writes } = recorded();
    await pipeline.query('begin');
    await pipeline.query(EVENTS, [1]);
    await pipeline.query(JOBS, [2]);
    await pipeline.query('commit');
    expect(writes).toEqual([['begin', EVENTS, JOBS, 'commit']]);
  });

  it('sends a statement alone when nothing is held', async () => {
    const { pipeline, writes } = recorded();
    await pipeline.query('begin');
    await pipeline.query('select * from jobs where id = $1 for update', [1]);
    await pipeline.query('update jobs set attempts = 1 where id = $1', [1]);
    await pipeline.query('commit');
    expect(writes).toEqual([['begin', 'select * from jobs where id = $1 for update'], ['update jobs set attempts = 1 where id = $1'], ['commit']]);
  });

  it('fails the batch when BEGIN fails, so no write of it runs on its own', async () => {
    const timeout = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    const { pipeline, writes } = recorded((text) => (text === 'begin' ? timeout : null));
    await pipeline.query('begin');
    await pipeline.query(EVENTS, [1]);
    await expect(pipeline.query('commit')).rejects.toBe(timeout);
    await pipeline.query('rollback');
    // The batch is one unit under one Sync (postgres-batch.ts): PostgreSQL skips its EVENTS after the failed BEGIN.
    expect(writes).toEqual([['begin', EVENTS, 'commit'], ['rollback']]);
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
