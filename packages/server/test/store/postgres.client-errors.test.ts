/**
 * A PostgreSQL connection terminated (57P01: an administrator, a restart) right after it connects
 * must not end the process. The pool stops listening for a client's 'error' when it hands the
 * client out, and a termination read in the same chunk as the connection's first ReadyForQuery is
 * emitted before the code that asked for the connection resumes (`watchClientErrors`).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchClientErrors } from '../../src/store/dialects/postgres.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('PostgreSQL client errors', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('hears an error a new connection emits before its first caller resumes', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const heard: Error[] = [];
    watchClientErrors(pool, (err) => heard.push(err));
    // The worst moment: the pool has handed the new connection out (and stopped listening), and the
    // caller has not resumed yet — the pool's callback runs before a promise's continuation would.
    // Unheard, emit() throws: an uncaught exception.
    const client = await new Promise<pg.PoolClient>((resolve, reject) =>
      pool.connect((err, c) => {
        if (err || !c) return reject(err);
        c.emit('error', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
        resolve(c);
      }),
    );
    client.release(true);
    await pool.end();
    expect(heard.map((e) => (e as Error & { code?: string }).code)).toEqual(['57P01']);
  });
});
