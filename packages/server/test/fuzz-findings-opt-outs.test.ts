/**
 * Found by a black-box fuzz campaign, on the opt-out list (our extension):
 * - `GET /api/messaging/opt_outs?sender=+1555…` (the `+` written as is, which a query string reads
 *   as a space) was refused as "neither one of your phone numbers nor one of your number groups",
 *   without the `%2B` hint the other number filters give; so was the same `handset`, and the same
 *   two on `DELETE /api/messaging/opt_outs`. They now carry it; the escaped ones work as before.
 * - `DELETE /api/messaging/opt_outs` with `{"sender", "handset"}` in a JSON body (as `POST` takes
 *   them) answered "sender is required", as if nothing had been sent. It reads the query, as
 *   documented; a body with fields is now refused saying to put them there, and nothing is removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

const SENDER = NUMBERS[0]!;
const HANDSET = '+15557650001';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const added = await server.api('/api/messaging/opt_outs', { body: { sender: SENDER, handset: HANDSET } });
  expect(added.status, added.text).toBe(201);
});
afterAll(() => server?.stop());

const hint = (name: string, value: string) => expect.stringContaining(`write it %2B (${name}=%2B${value.slice(1)})`);

describe('a sender or handset with its + unescaped in the query', () => {
  it('is refused by the list with the %2B hint; the escaped one lists the entry', async () => {
    for (const [name, value] of [['sender', SENDER], ['handset', HANDSET]] as const) {
      const raw = await server.api(`/api/messaging/opt_outs?${name}=${value}`);
      expect(raw.status, raw.text).toBe(422);
      expect(raw.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: name, message: hint(name, value) });
      const escaped = await server.api(`/api/messaging/opt_outs?${name}=${encodeURIComponent(value)}`);
      expect(escaped.status, escaped.text).toBe(200);
      expect(escaped.body.data.map((o: { handset: string }) => o.handset)).toEqual([HANDSET]);
    }
  });

  it('is refused by the DELETE with the %2B hint, removing nothing', async () => {
    const rawSender = await server.api(`/api/messaging/opt_outs?sender=${SENDER}&handset=${encodeURIComponent(HANDSET)}`, { method: 'DELETE' });
    expect(rawSender.status, rawSender.text).toBe(422);
    expect(rawSender.body.errors[0]).toMatchObject({ attribute: 'sender', message: hint('sender', SENDER) });
    const rawHandset = await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(SENDER)}&handset=${HANDSET}`, { method: 'DELETE' });
    expect(rawHandset.status, rawHandset.text).toBe(422);
    expect(rawHandset.body.errors[0]).toMatchObject({ attribute: 'handset', message: hint('handset', HANDSET) });
    expect((await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(SENDER)}`)).body.data).toHaveLength(1);
  });
});

describe('DELETE /api/messaging/opt_outs with a JSON body', () => {
  it('is refused saying to send sender and handset in the query, removing nothing', async () => {
    const res = await server.api('/api/messaging/opt_outs', { method: 'DELETE', body: { sender: SENDER, handset: HANDSET } });
    expect(res.status, res.text).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: 'sender', message: expect.stringContaining('reads sender and handset from the query string, not from a body') });
    expect((await server.api(`/api/messaging/opt_outs?sender=${encodeURIComponent(SENDER)}`)).body.data).toHaveLength(1);
  });

  it('takes the query as before, with an empty JSON object as its body or none', async () => {
    const q = `sender=${encodeURIComponent(SENDER)}&handset=${encodeURIComponent(HANDSET)}`;
    const withEmpty = await server.api(`/api/messaging/opt_outs?${q}`, { method: 'DELETE', body: {} });
    expect(withEmpty.status, withEmpty.text).toBe(204);
    expect((await server.api('/api/messaging/opt_outs', { body: { sender: SENDER, handset: HANDSET } })).status).toBe(201);
    const bare = await server.api(`/api/messaging/opt_outs?${q}`, { method: 'DELETE' });
    expect(bare.status, bare.text).toBe(204);
  });
});
