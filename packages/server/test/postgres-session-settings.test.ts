/**
 * Settings an administrator gives the database (`ALTER DATABASE … SET …`) reach only the sessions
 * that start afterwards, and so does resetting them. A node whose pooled connections were opened
 * while the database was read-only (or had a tiny statement_timeout) must not keep them once the
 * setting is reset: it answers 503 while the setting holds and accepts again by itself afterwards,
 * without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retiresConnection } from '../src/store/dialects/postgres.js';
import { adminQuery, createTestDatabase, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

describe('connections that may carry stale session settings', () => {
  it('are retired after a read-only refusal, a statement timeout or a lock timeout', () => {
    for (const code of ['25006', '57014', '55P03']) expect(retiresConnection(Object.assign(new Error('x'), { code }))).toBe(true);
    expect(retiresConnection(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  });
});

const POOL_SIZE = 2;

describe.skipIf(servicesOff)('a PostgreSQL database made read-only and back while a node runs', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url, databasePoolSize: POOL_SIZE });
  });
  afterAll(async () => {
    // A failure half-way leaves the database read-only.
    if (db) await adminQuery(`alter database "${db.name}" reset default_transaction_read_only`).catch(() => undefined);
    await server?.stop();
    await db?.drop();
  });

  const send = (body: string) => server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557800001', body } });
  /**
   * End every session of the node that began before now (one still connecting may escape a first
   * round): its next connections start with the database's settings as they are now.
   */
  const endSessions = async () => {
    const { rows } = await adminQuery('select now() as at');
    const at = (rows[0] as { at: Date }).at.toISOString();
    const older = `from pg_stat_activity where datname = '${db.name}' and backend_start <= '${at}'`;
    await eventually(async () => {
      await adminQuery(`select pg_terminate_backend(pid) ${older}`);
      return Number((await adminQuery(`select count(*) as n ${older}`)).rows[0].n) === 0 ? true : undefined;
    }, 10_000, 'the sessions that began before the setting ended');
  };

  it('answers 503 while it is read-only, then accepts and delivers again without a restart', async () => {
    expect((await send('before')).status).toBe(201);

    await adminQuery(`alter database "${db.name}" set default_transaction_read_only = on`);
    await endSessions();
    const refused = await eventually(async () => {
      const r = await send('read-only');
      return r.status === 503 ? r : undefined;
    }, 15_000, 'a 503 while the database is read-only');
    expect(refused.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });
    // As many connections as the pool holds are opened while the setting holds (concurrent requests
    // fill the pool; a node that retires its connections opens new ones instead).
    const seen = new Set<number>();
    const look = async () => {
      for (const row of (await adminQuery(`select pid from pg_stat_activity where datname = '${db.name}' and pid <> pg_backend_pid()`)).rows) seen.add(row.pid as number);
    };
    await eventually(async () => {
      // Looked at while the requests are under way: a connection refused as read-only is retired at once.
      const sends = Promise.all(Array.from({ length: 8 }, () => send('read-only')));
      for (let i = 0; i < 5 && seen.size < POOL_SIZE; i++) await look();
      await sends;
      await look();
      return seen.size >= POOL_SIZE ? true : undefined;
    }, 40_000, 'the pool filled with read-only sessions');
    const ready = await server.api('/ready', { auth: null });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.storage.detail).toMatch(/read-only transaction \(SQLSTATE 25006\)/);

    // Reset: the node's sessions still carry the setting; it must let them go by itself.
    await adminQuery(`alter database "${db.name}" reset default_transaction_read_only`);
    const back = await eventually(async () => {
      const r = await send('after');
      return r.status === 201 ? r : undefined;
    }, 15_000, 'acceptance after the reset');
    await eventually(async () => ((await server.api(`/api/messaging/logs/${back.body.id}`)).body.status === 'delivered' ? true : undefined), 10_000, 'delivery after the reset');
    await eventually(async () => ((await server.api('/ready', { auth: null })).status === 200 ? true : undefined), 10_000, '/ready green again');
  });

  it('shuts down cleanly while the database refuses writes', async () => {
    const other = await startTestServer({ databaseUrl: db.url, databasePoolSize: POOL_SIZE });
    try {
      expect((await other.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557800002', body: 'x' } })).status).toBe(201);
      await adminQuery(`alter database "${db.name}" set default_transaction_read_only = on`);
      await endSessions();
      // Forgetting the RELAY sessions parked here is a write: it fails, and the shutdown goes on.
      await expect(other.stop()).resolves.toBeUndefined();
    } finally {
      await adminQuery(`alter database "${db.name}" reset default_transaction_read_only`);
    }
  });
});
