/**
 * A lock someone else holds on a hot table (`LOCK TABLE messages IN ACCESS EXCLUSIVE MODE` in a psql
 * session, a long migration or maintenance) must not hang a node for as long as it is held: its
 * statements give up after the lock timeout, every surface answers 503 in its own shape, and the
 * node accepts and delivers again by itself once the lock is released.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

describe.skipIf(servicesOff)('a node whose messages table another session locks', () => {
  let db: TestDatabase;
  let server: TestServer;
  let locker: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url, databasePoolSize: 3 });
    locker = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5_000 });
    locker.on('error', () => undefined);
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.query('rollback').catch(() => undefined);
    await locker?.end().catch(() => undefined);
    await server?.stop();
    await db?.drop();
  });

  const send = (body: string) => server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557800001', body } });

  it('answers 503 on every surface while the lock is held, then accepts and delivers again', async () => {
    expect((await send('before')).status).toBe(201);
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);

    await locker.query('begin');
    await locker.query('lock table messages in access exclusive mode');
    // Each answer comes while the lock is still held (it is released only below).
    const [native, compat, rpc] = await Promise.all([
      send('locked'),
      server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
        body: new URLSearchParams({ From: NUMBERS[0]!, To: '+15557800002', Body: 'locked' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      // The answer may take the lock timeout (longer than `call`'s patience).
      (relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 'locked', method: 'messaging.send', params: { to_number: '+15557800003', from_number: NUMBERS[0], body: 'locked' } })),
      relay.waitFor((f) => f.id === 'locked' && f.method === undefined, 20_000)),
    ]);
    expect(native.status).toBe(503);
    expect(native.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });
    expect(compat.status).toBe(503);
    expect(compat.body).toMatchObject({ code: 20503, status: 503 });
    expect(rpc.error).toEqual({ code: -32005, message: expect.stringMatching(/temporarily unable/), data: { retry_after_ms: 1000 } });
    const ready = await server.api('/ready', { auth: null });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.storage.detail).toMatch(/lock timeout \(SQLSTATE 55P03\)/);
    await relay.close();

    await locker.query('rollback');
    const back = await eventually(async () => {
      const r = await send('after');
      return r.status === 201 ? r : undefined;
    }, 15_000, 'acceptance after the lock is released');
    await eventually(async () => ((await server.api(`/api/messaging/logs/${back.body.id}`)).body.status === 'delivered' ? true : undefined), 15_000, 'delivery after the release');
    // Nothing of the refused requests was written.
    const logs = await server.api('/api/messaging/logs?page_size=50');
    expect(logs.body.data.filter((m: { body: string }) => m.body === 'locked')).toEqual([]);
  });
});
