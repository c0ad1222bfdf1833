/**
 * JSON nested thousands of levels deep (well under the body limit) is refused before any field is
 * read, with a 400-class answer in each surface's own shape — not a 500 from a stack overflow
 * while the error message was being built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/util/json-depth.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** A value nested `depth` levels deep: `[[[ … ]]]`, about 2 bytes a level. */
const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const DEPTH = 5_000;

/** A JSON body whose `field` is nested very deep, the rest of it valid. */
function body(fields: Record<string, unknown>, field: string): string {
  const text = JSON.stringify({ ...fields, [field]: '@DEEP@' });
  return text.replace('"@DEEP@"', deep(DEPTH));
}

async function post(path: string, text: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { method: path.includes('/settings') ? 'PUT' : 'POST', body: text, headers: { 'content-type': 'application/json', authorization: server.auth, ...headers } });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

describe('deeply nested JSON is refused before it is inspected', () => {
  it('native REST: 400 in the native shape', async () => {
    for (const [path, fields, field] of [
      ['/api/messaging/messages', { from: NUMBERS[0], body: 'x' }, 'to'],
      ['/api/relay/rest/phone_numbers', {}, 'number'],
      ['/api/relay/rest/number_groups', { name: 'g' }, 'sticky_sender'],
    ] as const) {
      const res = await post(path, body(fields, field));
      expect(res.status, path).toBe(400);
      expect(res.body).toEqual({ error: 'Bad Request', message: `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.` });
    }
  });

  it('Compatibility API: 400 in the flat {code, message, more_info, status} shape', async () => {
    const res = await post(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, body({ From: NUMBERS[0], Body: 'x' }, 'To'));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'more_info', 'status']);
    expect(res.body).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining('levels deep') });
  });

  it('console login and the simulator: 400 in the native shape', async () => {
    const login = await post('/api/console/login', body({ api_token: API_TOKEN }, 'project_id'), { authorization: '' });
    expect(login.status).toBe(400);
    expect(login.body.message).toMatch(/levels deep/);
    for (const [path, fields, field] of [
      ['/api/simulator/inbound', { to: NUMBERS[0], body: 'x' }, 'from'],
      ['/api/simulator/settings', {}, 'rules'],
    ] as const) {
      const res = await post(path, body(fields, field));
      expect(res.status, path).toBe(400);
      expect(res.body.message).toMatch(/levels deep/);
    }
  });

  it('a body at the depth limit is still read normally', async () => {
    const res = await post('/api/messaging/messages', body({ from: NUMBERS[0], body: 'x' }, 'to').replace(deep(DEPTH), deep(MAX_JSON_DEPTH - 1)));
    expect(res.status).toBe(422);
  });

  it('RELAY: -32600 with the request id, and the connection keeps working', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    try {
      const params = body({ from_number: NUMBERS[0], body: 'x' }, 'to_number');
      relay.sendRaw(`{"jsonrpc":"2.0","id":"deep-1","method":"messaging.send","params":${params}}`);
      const answer = await relay.waitFor((f) => f.id === 'deep-1');
      expect(answer.error).toMatchObject({ code: -32600, message: expect.stringContaining('levels deep'), data: { max_depth: MAX_JSON_DEPTH } });
      const ping = await relay.call('signalwire.ping', {});
      expect(ping.result).toEqual({});
    } finally {
      await relay.close();
    }
  });
});
