/**
 * A NUL (`%00`) in a path parameter or a query filter is text like any other: it becomes U+FFFD
 * where it enters, as in bodies (domain/clean-text.ts), so it means the same on either database.
 * On SQLite a LIKE pattern was read only up to its NUL: `filter_number=%00zzz`, `contains=%00` and
 * `q=%00` matched everything (PostgreSQL's store already swapped NULs in its parameters).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForStatus } from './helpers/messages.js';
import { NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  // Something every filter below could wrongly match: a delivered message, in the logs and the handset inbox, and a group.
  const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650001', body: 'hello' } });
  await waitForStatus(server, sent.body.id, 'delivered');
  expect((await server.api('/api/relay/rest/number_groups', { body: { name: 'group' } })).status).toBe(200);
});
afterAll(() => server?.stop());

describe('NUL in URLs', () => {
  it.each([
    ['GET', '/api/messaging/logs/%00', 404],
    ['PATCH', '/api/messaging/messages/%00', 404],
    ['GET', '/api/relay/rest/phone_numbers/%00', 404],
    ['PUT', '/api/relay/rest/phone_numbers/%00', 404],
    ['DELETE', '/api/relay/rest/phone_numbers/%00', 404],
    ['GET', '/api/relay/rest/number_groups/%00', 404],
    ['GET', '/api/relay/rest/number_groups/%00/number_group_memberships', 404],
    ['GET', '/api/relay/rest/number_group_memberships/%00', 404],
    ['GET', '/api/console/messages/%00', 404],
  ])('%s %s is %i, not a 500', async (method, path, status) => {
    const res = await server.api(path, { method, ...(method === 'PATCH' || method === 'PUT' ? { body: { body: '' } } : {}) });
    expect(res.status, res.text).toBe(status);
  });

  it.each([
    '/api/messaging/logs?from=%00',
    '/api/messaging/logs?to=%2B15551230001%00',
    '/api/messaging/logs?page_token=PA%00',
    '/api/relay/rest/phone_numbers?filter_number=%00zzz',
    '/api/relay/rest/phone_numbers?filter_name=%00zzz',
    '/api/relay/rest/number_groups?filter_name=%00zzz',
    '/api/simulator/messages?contains=%00',
    '/api/simulator/messages?to=%00',
    '/api/console/messages?q=%00',
  ])('%s matches nothing rather than everything (or a 500)', async (path) => {
    const res = await server.api(path);
    expect([200, 422], res.text).toContain(res.status);
    if (res.status === 200) expect(res.body.data).toEqual([]);
  });
});
