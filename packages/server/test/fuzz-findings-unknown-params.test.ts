/**
 * Found by a black-box fuzz campaign: `DELETE /api/messaging/opt_outs?sender=…&handset=…&foo=1`
 * answered 204, removing the entry, and `GET /api/messaging/settings?foo=1` 200, each ignoring a
 * query parameter it does not take, while the opt-out list (and every native list) refuses one
 * (a misspelt parameter would otherwise go unnoticed). They now refuse it the same way: 422
 * `invalid_filter` naming it and what the route takes; nothing is removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

const SENDER = NUMBERS[0]!;
const HANDSET = '+15557650002';
const q = `sender=${encodeURIComponent(SENDER)}&handset=${encodeURIComponent(HANDSET)}`;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const added = await server.api('/api/messaging/opt_outs', { body: { sender: SENDER, handset: HANDSET } });
  expect(added.status, added.text).toBe(201);
});
afterAll(() => server?.stop());

describe('DELETE /api/messaging/opt_outs with an unknown query parameter', () => {
  it('is refused naming it, removing nothing; without it the entry is removed', async () => {
    const res = await server.api(`/api/messaging/opt_outs?${q}&foo=1`, { method: 'DELETE' });
    expect(res.status, res.text).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'foo', message: "Unknown query parameter 'foo'. This DELETE takes: sender, handset." });
    const misspelt = await server.api(`/api/messaging/opt_outs?${q}&handsets=1`, { method: 'DELETE' });
    expect(misspelt.status, misspelt.text).toBe(422);
    expect(misspelt.body.errors[0]).toMatchObject({ attribute: 'handsets', message: expect.stringContaining("did you mean 'handset'") });
    expect((await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(SENDER)}`)).body.data).toHaveLength(1);
    const ok = await server.api(`/api/messaging/opt_outs?${q}`, { method: 'DELETE' });
    expect(ok.status, ok.text).toBe(204);
  });
});

describe('GET /api/messaging/settings with a query parameter', () => {
  it('is refused, for the project and for a sender; without one it answers as before', async () => {
    for (const path of ['/api/messaging/settings', `/api/messaging/settings/${encodeURIComponent(SENDER)}`]) {
      const res = await server.api(`${path}?foo=1`);
      expect(res.status, res.text).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'foo', message: "Unknown query parameter 'foo'. This request takes no query parameters." });
      const ok = await server.api(path);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body).toMatchObject({ smart_encoding: null, defaults: { opt_out_replies: true } });
    }
  });
});
