/**
 * A node whose database role loses a privilege it needs while it runs (`REVOKE INSERT ON messages`,
 * SQLSTATE 42501): every surface answers 503 in its own shape (not 500), /ready names the cause, and
 * the node accepts and delivers again by itself once the privilege is granted back.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, databaseUrl, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

describe.skipIf(servicesOff)('a node whose database role loses a privilege', () => {
  let db: TestDatabase;
  let server: TestServer;
  const role = `sbt_role_${randomBytes(4).toString('hex')}`;
  /** Run on the test database as its administrator. */
  const inDb = async (text: string) => {
    const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await adminQuery(`create role ${role} login`);
    await inDb(`grant all on schema public to ${role}; grant all on all tables in schema public to ${role}; grant all on all sequences in schema public to ${role}`);
    const url = new URL(databaseUrl(db.name));
    url.username = role;
    url.password = '';
    server = await startTestServer({ databaseUrl: url.toString(), databasePoolSize: 3 });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await adminQuery(`drop role if exists ${role}`).catch(() => undefined);
  });

  const send = (body: string) => server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557800001', body } });

  it('answers 503 on every surface while the privilege is missing, then accepts again once it is granted', async () => {
    expect((await send('before')).status).toBe(201);
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);

    await inDb(`revoke insert on messages from ${role}`);
    const native = await send('revoked');
    expect(native.status).toBe(503);
    expect(native.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });
    const compat = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
      body: new URLSearchParams({ From: NUMBERS[0]!, To: '+15557800002', Body: 'revoked' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(compat.status).toBe(503);
    expect(compat.body).toMatchObject({ code: 20503, status: 503 });
    const rpc = await relay.call('messaging.send', { to_number: '+15557800003', from_number: NUMBERS[0], body: 'revoked' });
    expect(rpc.error).toEqual({ code: -32005, message: expect.stringMatching(/temporarily unable/), data: { retry_after_ms: 1000 } });
    await relay.close();
    const ready = await server.api('/ready', { auth: null });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.storage.detail).toMatch(/permission denied for table messages \(SQLSTATE 42501\)/);

    await inDb(`grant insert on messages to ${role}`);
    const back = await eventually(async () => {
      const r = await send('after');
      return r.status === 201 ? r : undefined;
    }, 15_000, 'acceptance after the grant');
    await eventually(async () => ((await server.api(`/api/messaging/logs/${back.body.id}`)).body.status === 'delivered' ? true : undefined), 15_000, 'delivery after the grant');
    await eventually(async () => ((await server.api('/ready', { auth: null })).status === 200 ? true : undefined), 15_000, '/ready green again');
  });
});
