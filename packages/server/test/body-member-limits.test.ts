/**
 * Bodies with tens of thousands of distinct names (a JSON object of 20,000 unknown fields, a form
 * of 20,000 parameters), well under the body limit, are refused before they are parsed. Parsing
 * such a body costs 10 to 30 ms of the event loop where a body of the same size with few names
 * costs about 1 ms (every distinct name is a new property): 600 of them sent at once from three
 * addresses, each far under its connection cap, were all parsed before the send slots turned
 * most away, and another client's list waited 19 s for an answer. Refused in each surface's
 * shape (at most 5,000 object members of 1,000 distinct names; 200 form parameters); a body at
 * the limits is read as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FORM_PARAMETERS } from '../src/http/compat/body.js';
import { MAX_QUERY_PARAMS, tooManyQueryParams } from '../src/http/server-limits.js';
import { MAX_JSON_MEMBERS, MAX_JSON_NAMES } from '../src/util/json-members.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** `count` members named apart (`x0`, `x1`, …), as JSON object text without its braces. */
const members = (count: number) => Array.from({ length: count }, (_, i) => `"x${i}":1`).join(',');
/** `fields` as a JSON object with `extra` more distinct members. */
const jsonWith = (fields: Record<string, unknown>, extra: number) => JSON.stringify(fields).replace(/}$/, `,${members(extra)}}`);

async function post(path: string, text: string, contentType = 'application/json', method = 'POST') {
  const res = await fetch(`${server.url}${path}`, { method, body: text, headers: { 'content-type': contentType, authorization: server.auth } });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

const COMPAT = `/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`;
const MANY = 20_000;

describe('a body naming tens of thousands of members is refused before it is parsed', () => {
  it('native REST: 400 in the native shape, nothing sent', async () => {
    const before = await listCount();
    const res = await post('/api/messaging/messages', jsonWith({ from: NUMBERS[0], to: '+15557001111', body: 'x' }, MANY));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Bad Request', message: `The request body has object members of more than ${MAX_JSON_NAMES} distinct names.` });
    // Few names, but more members than that.
    const pad = Array.from({ length: MAX_JSON_MEMBERS }, () => ({ a: 1 }));
    const members = await post('/api/messaging/messages', JSON.stringify({ from: NUMBERS[0], to: '+15557001111', body: 'x', pad }));
    expect(members.status).toBe(400);
    expect(members.body).toEqual({ error: 'Bad Request', message: `The request body has more than ${MAX_JSON_MEMBERS} object members.` });
    expect(await listCount()).toBe(before);
  });

  it('Compatibility API: a form of that many parameters, and such a JSON body, 400 in the flat shape', async () => {
    const before = await listCount();
    const form = `To=%2B15557001111&From=${encodeURIComponent(NUMBERS[0]!)}&Body=x&` + Array.from({ length: MANY }, (_, i) => `x${i}=1`).join('&');
    const res = await post(COMPAT, form, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 10000, status: 400, message: `The request body has more than ${MAX_FORM_PARAMETERS} parameters.` });
    const json = await post(COMPAT, jsonWith({ To: '+15557001111', From: NUMBERS[0], Body: 'x' }, MANY));
    expect(json.status).toBe(400);
    expect(json.body).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining('object members') });
    expect(await listCount()).toBe(before);
  });

  it('bodies at the limits are read as before; a colon or an ampersand inside a value is no member', async () => {
    const native = await post('/api/messaging/messages', jsonWith({ from: NUMBERS[0], to: '+15557001111', body: ':'.repeat(1000) }, MAX_JSON_NAMES - 3));
    expect(native.status).toBe(201);
    const params = Array.from({ length: MAX_FORM_PARAMETERS - 3 }, (_, i) => `x${i}=1`).join('&');
    const form = await post(COMPAT, `To=%2B15557001111&From=${encodeURIComponent(NUMBERS[0]!)}&Body=${'%26'.repeat(1000)}&${params}`, 'application/x-www-form-urlencoded');
    expect(form.status).toBe(201);
    // The simulator's settings take up to 1,000 rules of up to four fields each: 4,000 members of four names.
    const rules = Array.from({ length: 1000 }, (_, i) => ({ prefix: `+1444${String(i).padStart(4, '0')}`, outcome: 'failed', error: 30007, description: 'r' }));
    const settings = await post('/api/simulator/settings', JSON.stringify({ rules }), 'application/json', 'PUT');
    expect(settings.status).toBe(200);
  });

  it('RELAY: -32600 with the request id, and the connection keeps working', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    try {
      const params = jsonWith({ from_number: NUMBERS[0], to_number: '+15557001111', body: 'x' }, MANY);
      relay.sendRaw(`{"jsonrpc":"2.0","id":"wide-1","method":"messaging.send","params":${params}}`);
      const answer = await relay.waitFor((f) => f.id === 'wide-1');
      expect(answer.error).toMatchObject({ code: -32600, message: expect.stringContaining('distinct names'), data: { max_names: MAX_JSON_NAMES } });
      const ping = await relay.call('signalwire.ping', {});
      expect(ping.result).toEqual({});
    } finally {
      await relay.close();
    }
  });
});

/** How many messages the project's log lists (the tests send a handful). */
async function listCount(): Promise<number> {
  const list = await fetch(`${server.url}/api/messaging/logs?page_size=1000`, { headers: { authorization: server.auth } });
  expect(list.status).toBe(200);
  return ((await list.json()) as { data: unknown[] }).data.length;
}

/**
 * The same for query strings: the router parses the whole query before any route or hook, and a
 * query of ~4,000 short distinct names (inside the 16 KB header limit) took 5–14 ms to parse; 600
 * at once held another client's list 3.8 s. Past MAX_QUERY_PARAMS a request is refused unparsed,
 * with the body both REST shapes read.
 */
describe('a query string of more parameters than any list takes is refused before it is parsed', () => {
  const query = (count: number) => Array.from({ length: count }, (_, i) => `q${i}=1`).join('&');
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: server.auth } });
    return { status: res.status, body: JSON.parse(await res.text()) };
  };

  it('native and Compatibility API lists: 400, code 10000, saying so', async () => {
    for (const path of ['/api/messaging/logs', COMPAT]) {
      const res = await get(`${path}?${query(MAX_QUERY_PARAMS + 1)}`);
      expect(res, path).toEqual({ status: 400, body: { error: 'Bad Request', code: 10000, status: 400, message: `The query string holds more than ${MAX_QUERY_PARAMS} parameters; send fewer.`, more_info: expect.any(String) } });
    }
  });

  it('leaves a query at the bound to the route (which names the filter it does not know)', async () => {
    const res = await get(`/api/messaging/logs?${query(MAX_QUERY_PARAMS)}`);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('q0');
    expect(tooManyQueryParams('/a?b')).toBe(false);
    expect(tooManyQueryParams('/a')).toBe(false);
    expect(tooManyQueryParams(`/a?${'&'.repeat(MAX_QUERY_PARAMS)}`)).toBe(true);
  });
});
