/**
 * Storage that takes no writes (a full SQLite disk, a read-only file system, PostgreSQL turned into a
 * standby) still answers reads: lists must not need a write. Their page tokens are sealed with a
 * key kept in the database, which was created by the first list after a start; on a node whose
 * storage stopped taking writes before anyone listed, every list answered 503 while reading one
 * message worked. The key is now made at start, with the other startup writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageReadOnly } from './helpers/store-outage.js';
import { eventually, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

describe('lists while storage takes no writes', () => {
  let server: TestServer;

  const readOnly = (on: boolean) => storageReadOnly(server, on);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await readOnly(false).catch(() => undefined);
    await server?.stop();
  });

  it('answers the lists of every surface, from a start after which no write succeeded', async () => {
    await readOnly(true);
    // PostgreSQL: the first statements may meet a pooled connection just ended.
    const native = await eventually(async () => {
      const r = await server.api('/api/messaging/logs?page_size=5');
      return r.status === 200 ? r : undefined;
    }, 10_000, 'the native message list');
    expect(native.body.data).toEqual(expect.any(Array));
    const compat = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?PageSize=5`);
    expect(compat.status).toBe(200);
    expect((await server.api('/api/relay/rest/phone_numbers')).status).toBe(200);
    // Writes are still refused, in the surface's shape.
    const send = await server.api('/api/messaging/messages', { body: { from: '+15551230001', to: '+15557800001', body: 'refused' } });
    expect(send.status).toBe(503);
  });
});
