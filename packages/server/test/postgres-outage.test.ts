/**
 * A node that loses PostgreSQL stops accepting with a clear 503 in each surface's own shape
 * (nothing half-written, readiness says why) and recovers by itself when the database is back.
 * The server reaches PostgreSQL through a TCP relay in this test, which cuts and restores the link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { TcpLink } from './helpers/tcp-link.js';

describe.skipIf(servicesOff)('a node that loses PostgreSQL', () => {
  let db: TestDatabase;
  let link: TcpLink;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    link = TcpLink.to(db.url);
    await link.up();
    server = await startTestServer({ databaseUrl: link.via(db.url), databasePoolSize: 4 });
  });
  afterAll(async () => {
    await link?.up().catch(() => undefined);
    await server?.stop();
    await link?.down();
    await db?.drop();
  });

  const send = (body = 'outage') => server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557800001', body } });

  it('answers 503 on every surface while the database is away, then accepts and delivers again by itself', async () => {
    const before = await send('before');
    expect(before.status).toBe(201);
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);

    await link.down();
    // Credentials cached from the first request may still answer; the write cannot.
    const refused = await eventually(async () => {
      const r = await send('during');
      return r.status === 503 ? r : undefined;
    }, 15_000, 'a 503 from the native API');
    expect(refused.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });

    const compat = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
      body: new URLSearchParams({ From: NUMBERS[0]!, To: '+15557800002', Body: 'during' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(compat.status).toBe(503);
    expect(compat.body).toMatchObject({ code: 20503, status: 503 });

    const rpc = await relay.call('messaging.send', { to_number: '+15557800003', from_number: NUMBERS[0], body: 'during' });
    expect(rpc.error).toEqual({ code: -32005, message: expect.stringMatching(/temporarily unable/), data: { retry_after_ms: 1000 } });
    await relay.close();

    const ready = await server.api('/ready', { auth: null });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database.ok).toBe(false);
    expect(ready.body.checks.storage).toEqual({ ok: false, detail: expect.stringMatching(/database unavailable/) });

    await link.up();
    const back = await eventually(async () => {
      const r = await send('after');
      return r.status === 201 ? r : undefined;
    }, 20_000, 'acceptance after the database is back');
    await eventually(async () => ((await server.api(`/api/messaging/logs/${back.body.id}`)).body.status === 'delivered' ? true : undefined), 10_000, 'delivery after recovery');
    expect((await server.api('/ready', { auth: null })).status).toBe(200);

    // Nothing was half-written: the refused requests left no messages behind.
    const logs = await server.api('/api/messaging/logs?page_size=50');
    expect(logs.body.data.map((m: { id: string }) => m.id).sort()).toEqual([before.body.id, back.body.id].sort());
  });
});
