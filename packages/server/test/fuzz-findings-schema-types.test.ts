/**
 * Found by a black-box fuzz campaign: a native body field of the wrong JSON type was refused in
 * the schema validator's own words: `PUT /api/messaging/settings {"smart_encoding":"maybe"}` said
 * "smart_encoding must be boolean,null.", `POST /api/messaging/opt_outs` with a number for
 * `handset` "handset must be string.". They now say it in words: "must be true, false or null",
 * "must be a string".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('a body field of the wrong JSON type', () => {
  it('is refused in words on the settings and the opt-outs', async () => {
    for (const [method, path, body, attribute, message] of [
      ['PUT', '/api/messaging/settings', { smart_encoding: 'maybe' }, 'smart_encoding', 'smart_encoding must be true, false or null.'],
      ['PUT', `/api/messaging/settings/${encodeURIComponent(NUMBERS[0]!)}`, { opt_out_replies: 1 }, 'opt_out_replies', 'opt_out_replies must be true, false or null.'],
      ['POST', '/api/messaging/opt_outs', { sender: NUMBERS[0], handset: 15557650001 }, 'handset', 'handset must be a string.'],
      ['POST', '/api/messaging/opt_outs', { sender: [NUMBERS[0]], handset: '+15557650001' }, 'sender', 'sender must be a string.'],
    ] as const) {
      const res = await server.api(path, { method, body });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(422);
      expect(res.body.errors[0], `${method} ${path}`).toMatchObject({ code: 'invalid_parameter', attribute, message });
    }
    expect((await server.api('/api/messaging/settings')).body.smart_encoding).toBeNull();
    expect((await server.api('/api/messaging/opt_outs')).body.data).toEqual([]);
  });
});
