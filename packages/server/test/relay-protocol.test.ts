import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ relayMaxFrameBytes: 8192, relayRequestsPerSecond: 5, relayRequestBurst: 8, relayMaxSessionsPerProject: 5 });
});
afterAll(async () => {
  await server.stop();
});

/** The server still serves a fresh client after whatever happened. */
async function assertHealthy(): Promise<void> {
  const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
  const pong = await relay.call('signalwire.ping', { timestamp: 1.5 });
  expect(pong.result).toEqual({ timestamp: 1.5 });
  await relay.close();
  const health = await server.api('/health');
  expect(health.status).toBe(200);
}

describe('signalwire.connect', () => {
  it('answers with a signed protocol, identity and authorization, then pushes the authorization state', async () => {
    const relay = await RawRelay.open(server.url);
    const res = await relay.call('signalwire.connect', {
      version: { major: 3, minor: 0, revision: 0 },
      event_acks: true,
      agent: 'test',
      authentication: { project: PROJECT_ID, token: API_TOKEN },
    });
    const r = res.result;
    expect(r.protocol).toMatch(/^signalwire_[0-9a-f]{32}_[0-9a-f-]{36}$/);
    expect(r.protocol.split('_')[1]).toBe(r.authorization.signature);
    expect(r.authorization).toMatchObject({ project: PROJECT_ID, expires_at: null });
    expect(r.authorization.scopes).toContain('messaging');
    expect(r.identity).toMatch(/@/);
    expect(r.session_restored).toBe(false);
    expect(r.result).toBeUndefined();
    const state = await relay.waitFor((f) => f.params?.event_type === 'signalwire.authorization.state');
    expect(state.params).toMatchObject({ event_channel: r.protocol, project_id: PROJECT_ID });
    expect(typeof state.params.params.authorization_state).toBe('string');
    expect(typeof state.id).toBe('string');
    await relay.close();
  });

  it("handles a request sent right behind signalwire.connect, before its answer, once it is connected", async () => {
    // What SignalWire's SDKs do after every reconnect: queued requests go out as soon as the socket opens.
    const relay = await RawRelay.open(server.url);
    const [connect, send] = await Promise.all([
      relay.call('signalwire.connect', { version: { major: 3, minor: 0, revision: 0 }, authentication: { project: PROJECT_ID, token: API_TOKEN } }),
      relay.call('messaging.send', { context: 'office', from_number: NUMBERS[0], to_number: '+15557800042', body: 'right behind the connect' }),
    ]);
    expect(connect.result?.protocol).toBeTruthy();
    expect(send.error).toBeUndefined();
    expect(send.result).toMatchObject({ code: '200', message_id: expect.any(String) });
    const order = relay.frames.filter((f) => f.id !== undefined && f.method === undefined).map((f) => f.id);
    expect(order.indexOf(connect.id)).toBeLessThan(order.indexOf(send.id));
    await relay.close();
  });

  it('refuses wrong credentials with -32002 and closes the socket', async () => {
    const relay = await RawRelay.open(server.url);
    const res = await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, authentication: { project: PROJECT_ID, token: 'PTwrong' } });
    expect(res.error).toMatchObject({ code: -32002 });
    expect(await relay.closed()).toBe(1008);
    await assertHealthy();
  });

  it('refuses an unsupported version with -32001 and JWT credentials with -32002', async () => {
    const a = await RawRelay.open(server.url);
    expect((await a.call('signalwire.connect', { version: { major: 5, minor: 0, revision: 0 }, authentication: { project: PROJECT_ID, token: API_TOKEN } })).error?.code).toBe(-32001);
    const b = await RawRelay.open(server.url);
    expect((await b.call('signalwire.connect', { version: { major: 3, minor: 0, revision: 0 }, authentication: { jwt_token: 'eyJ' } })).error?.code).toBe(-32002);
    await Promise.all([a.closed(), b.closed()]);
  });

  it('rejects missing params with -32602', async () => {
    const relay = await RawRelay.open(server.url);
    expect((await relay.call('signalwire.connect')).error?.code).toBe(-32602);
    expect((await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 } })).error?.code).toBe(-32602);
    expect((await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, authentication: { project: PROJECT_ID, token: API_TOKEN }, contexts: 'office' })).error?.code).toBe(-32602);
    await relay.close();
  });

  it('limits sessions per project with -32005', async () => {
    // Sessions of earlier tests are gone once their sockets are (parked ones do not count).
    await eventually(() => (server.relay.registry.size === 0 ? true : undefined), 5000, 'earlier sessions to end');
    const open: RawRelay[] = [];
    for (let i = 0; i < 5; i++) open.push((await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN)).relay);
    const extra = await RawRelay.open(server.url);
    const res = await extra.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, authentication: { project: PROJECT_ID, token: API_TOKEN } });
    expect(res.error?.code).toBe(-32005);
    await extra.closed();
    await Promise.all(open.map((r) => r.close()));
    await new Promise((r) => setTimeout(r, 50));
    await assertHealthy();
  });
});

describe('bad input over the socket', () => {
  it('answers non-JSON with -32700, batches and non-objects with -32600, and keeps serving', async () => {
    const relay = await RawRelay.open(server.url);
    relay.sendRaw('this is not json');
    const parse = await relay.waitFor((f) => f.error?.code === -32700);
    expect(parse.id).toBeNull();
    relay.sendRaw(JSON.stringify([{ jsonrpc: '2.0', id: 'a', method: 'signalwire.ping', params: {} }]));
    const batch = await relay.waitFor((f) => f.error?.code === -32600 && /batch/i.test(f.error.message));
    expect(batch.id).toBeNull();
    relay.sendRaw('42');
    await relay.waitFor((f) => f.error?.code === -32600 && /one JSON-RPC object/.test(f.error.message));
    relay.sendRaw(JSON.stringify({ jsonrpc: '1.0', id: 'v', method: 'signalwire.ping' }));
    expect((await relay.waitFor((f) => f.id === 'v')).error?.code).toBe(-32600);
    relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', method: 'signalwire.ping' }));
    await relay.waitFor((f) => f.error?.code === -32600 && /needs an "id"/.test(f.error.message));
    relay.sendRaw(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'bin', method: 'signalwire.ping' })));
    expect(relay.closeCode).toBeUndefined();
    await relay.close();
    await assertHealthy();
  });

  it('echoes every id exactly as sent (big and written-out numbers by their digits), and refuses ids over 256 characters carrying them', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const raw: string[] = [];
    relay.ws.on('message', (data) => raw.push(data.toString()));
    const sent = ['9007199254740993', '1.0', '-0', '""', `"${'a'.repeat(257)}"`];
    for (const id of sent) relay.sendRaw(`{"jsonrpc":"2.0","id":${id},"method":"signalwire.ping","params":{}}`);
    await eventually(() => (raw.length >= sent.length ? true : undefined), 5000, 'every answer');
    expect(raw.slice(0, 4)).toEqual(sent.slice(0, 4).map((id) => `{"jsonrpc":"2.0","id":${id},"result":{}}`));
    expect(JSON.parse(raw[4]!)).toMatchObject({ id: 'a'.repeat(257), error: { code: -32600, data: { max_id_length: 256 } } });
    // A ping timestamp JSON cannot carry back (1e400 is Infinity) is refused, not echoed as null.
    expect((await relay.call('signalwire.ping', ['x'])).error?.code).toBe(-32602);
    relay.sendRaw('{"jsonrpc":"2.0","id":"inf","method":"signalwire.ping","params":{"timestamp":1e400}}');
    expect((await relay.waitFor((f) => f.id === 'inf')).error?.code).toBe(-32602);
    await relay.close();
  });

  it('answers requests before connect with -32002', async () => {
    const relay = await RawRelay.open(server.url);
    const res = await relay.call('messaging.send', { to_number: '+15557654321', from_number: NUMBERS[0], body: 'x' });
    expect(res.error?.code).toBe(-32002);
    expect((await relay.call('signalwire.receive', { contexts: ['x'] })).error?.code).toBe(-32002);
    await relay.close();
  });

  it('answers unknown methods with -32601 and missing params with -32602', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    expect((await relay.call('calling.dial', {})).error).toMatchObject({ code: -32601 });
    expect((await relay.call('messaging.send')).error?.code).toBe(-32602);
    expect((await relay.call('messaging.send', ['+1'])).error?.code).toBe(-32602);
    expect((await relay.call('signalwire.receive', {})).error?.code).toBe(-32602);
    expect((await relay.call('signalwire.unreceive', { contexts: [] })).error?.code).toBe(-32602);
    await relay.close();
  });

  it('answers an oversized frame with -32600 carrying its id, and keeps the connection', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'messaging.send', params: { body: 'x'.repeat(10_000) } }));
    const res = await relay.waitFor((f) => f.id === 'big');
    expect(res.error).toMatchObject({ code: -32600, data: { limit: 8192 } });
    expect((await relay.call('signalwire.ping', {})).result).toEqual({});
    await relay.close();
  });

  it('closes the socket (1009) on a frame far beyond the limit, and stays healthy', async () => {
    const relay = await RawRelay.open(server.url);
    relay.sendRaw('x'.repeat(200_000));
    expect(await relay.closed()).toBe(1009);
    await assertHealthy();
  });

  it('limits the request rate per connection: -32005 for the first request over it, then reads the rest at the rate and answers them', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => relay.call('signalwire.ping', {}, `r${i}`)));
    const limited = answers.filter((a) => a.error?.code === -32005);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.length).toBeLessThan(5);
    expect(limited[0]!.error!.data).toMatchObject({ retry_after_ms: expect.any(Number) });
    expect(answers.filter((a) => a.result)).toHaveLength(20 - limited.length);
    await relay.close();
  });

});

describe('a socket that sends nothing but garbage', () => {
  // The default request rate: within it, invalid frames are answered until their own budget is spent.
  let fast: TestServer;
  beforeAll(async () => {
    fast = await startTestServer();
  });
  afterAll(async () => {
    await fast.stop();
  });

  it('is answered, then closed (1008) past its budget of invalid frames, before or after connect; the server stays healthy', async () => {
    for (const authenticated of [false, true]) {
      const relay = authenticated ? (await RawRelay.connected(fast.url, PROJECT_ID, API_TOKEN)).relay : await RawRelay.open(fast.url);
      for (let i = 0; i < 300; i++) relay.sendRaw(i % 3 === 0 ? Buffer.from('x') : i % 3 === 1 ? '{' : '[1]');
      expect(await relay.closed()).toBe(1008);
      expect(relay.frames.filter((f) => f.error?.code === -32700 || f.error?.code === -32600)).toHaveLength(100);
    }
    const { relay } = await RawRelay.connected(fast.url, PROJECT_ID, API_TOKEN);
    expect((await relay.call('signalwire.ping', {})).result).toEqual({});
    await relay.close();
  });
});

describe('messaging.send', () => {
  it('accepts a message with code "200" and message_id, and never nests result', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const res = await relay.call('messaging.send', { to_number: '+15557650001', from_number: NUMBERS[0], body: 'Hi', context: 'office', tags: ['t1'], tag: 'solo', region: 'us' });
    expect(res.result).toEqual({ code: '200', message: 'Message accepted', message_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const stored = await server.store.messages.get(PROJECT_ID, res.result.message_id);
    expect(stored).toMatchObject({ origin: 'relay', context: 'office', tags: ['t1', 'solo'] });
    await relay.close();
  });

  it('reports validation problems as a string code with data by RELAY field', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const res = await relay.call('messaging.send', { to_number: 'nope', from_number: '+15550000000', body: '' });
    expect(res.error).toBeUndefined();
    expect(res.result.code).toBe('400');
    expect(res.result.message).toMatch(/To/);
    expect(res.result.data.to_number).toHaveLength(1);
    expect(res.result.data.body).toBeDefined();
    expect(res.result.result).toBeUndefined();
    const notOwned = await relay.call('messaging.send', { to_number: '+15557650002', from_number: '+15550000000', body: 'x' });
    expect(notOwned.result).toMatchObject({ code: '403', data: { from_number: [expect.any(String)] } });
    const badTags = await relay.call('messaging.send', { to_number: '+15557650002', from_number: NUMBERS[0], body: 'x', tags: 'x' });
    expect(badTags.result).toMatchObject({ code: '400', data: { tags: [expect.any(String)] } });
    // A media URL with a space around it, which a URL parser would drop, as on the other surfaces.
    const spaced = await relay.call('messaging.send', { to_number: '+15557650002', from_number: NUMBERS[0], media: [' https://example.com/a.png'] });
    expect(spaced.result).toMatchObject({ code: '400', data: { media: [expect.stringContaining('send the URL alone')] } });
    const spacedCallback = await relay.call('messaging.send', { to_number: '+15557650002', from_number: NUMBERS[0], body: 'x', status_callback: 'https://example.com/status\n' });
    expect(spacedCallback.result).toMatchObject({ code: '400', data: { status_callback: [expect.stringContaining('send the URL alone')] } });
    await relay.close();
  });

  it('writes the send result before the first state event, then every state in order', async () => {
    const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const id = 'send-1';
    const res = await relay.call('messaging.send', { to_number: '+15557650003', from_number: NUMBERS[0], body: 'Order', context: result.protocol }, id);
    const messageId = res.result.message_id;
    const states = await relay.waitForEvents('messaging.state', (p) => p.message_id === messageId, 4);
    expect(states.map((s) => s.message_state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    const resultIndex = relay.frames.findIndex((f) => f.id === id);
    const firstEvent = relay.frames.findIndex((f) => f.params?.params?.message_id === messageId);
    expect(resultIndex).toBeLessThan(firstEvent);
    expect(states[0]).toEqual({
      message_id: messageId,
      context: result.protocol,
      direction: 'outbound',
      tags: [],
      from_number: NUMBERS[0],
      to_number: '+15557650003',
      body: 'Order',
      media: [],
      segments: 1,
      message_state: 'queued',
    });
    const envelope = relay.frames[firstEvent]!.params;
    expect(envelope).toMatchObject({ event_type: 'messaging.state', context: result.protocol, project_id: PROJECT_ID, space_id: PROJECT_ID });
    expect(typeof envelope.timestamp).toBe('number');
    await relay.close();
  });

  it('sends state events to the sender even when it does not listen to the context', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const res = await relay.call('messaging.send', { to_number: '+12015550101', from_number: NUMBERS[0], body: 'Unreachable', context: 'elsewhere' });
    const states = await relay.waitForEvents('messaging.state', (p) => p.message_id === res.result.message_id, 4);
    expect(states.map((s) => s.message_state)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect(states[3]).toMatchObject({ reason: 'unreachable_destination_handset', context: 'elsewhere' });
    expect(states[0].reason).toBeUndefined();
    await relay.close();
  });
});

describe('contexts and inbound messages', () => {
  it('delivers inbound messages to every session subscribed to the number\'s context, by connect or receive, until unreceive', async () => {
    const a = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const b = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const rcv = await b.relay.call('signalwire.receive', { context: 'default' });
    expect(rcv.result).toEqual({ code: '200', message: expect.stringMatching(/Receiving/) });
    const inject = await server.api('/api/simulator/inbound', { body: { from: '+15557659999', to: NUMBERS[1], body: 'Hello there' } });
    expect(inject.status).toBeLessThan(300);
    for (const r of [a.relay, b.relay]) {
      const [m] = await r.waitForEvents('messaging.receive', (p) => p.body === 'Hello there', 1);
      expect(m).toMatchObject({ context: 'default', direction: 'inbound', from_number: '+15557659999', to_number: NUMBERS[1], media: [], segments: 1, tags: [], message_state: 'received' });
    }
    expect((await b.relay.call('signalwire.unreceive', { contexts: ['default'] })).result.code).toBe('200');
    await server.api('/api/simulator/inbound', { body: { from: '+15557659999', to: NUMBERS[1], body: 'Second' } });
    await a.relay.waitForEvents('messaging.receive', (p) => p.body === 'Second', 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.relay.events('messaging.receive').filter((p) => p.body === 'Second')).toHaveLength(0);
    await Promise.all([a.relay.close(), b.relay.close()]);
  });
});

describe('plain HTTP on /', () => {
  it('still serves the JSON banner, naming the RELAY endpoint', async () => {
    const res = await server.api('/', { auth: null });
    expect(res.status).toBe(200);
    expect(res.body.endpoints.relay).toBe(`ws://${new URL(server.url).host}/`);
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    await expect(RawRelay.open(`${server.url}/nope`)).rejects.toThrow(/404/);
  });

  const exchange = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const s = netConnect(Number(new URL(server.url).port), '127.0.0.1', () => s.write(request));
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('close', () => resolve(data));
      s.on('error', reject);
    });

  it('answers a request asking for another upgrade (curl --http2 sends Upgrade: h2c) as the plain request it is', async () => {
    const upgrade = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n';
    const health = await exchange(`GET /health HTTP/1.1\r\nHost: x\r\n${upgrade}\r\n`);
    expect(health).toMatch(/^HTTP\/1\.1 200 /);
    expect(health).toMatch(/connection: close/i);
    // With a body it cannot be served that way (the body would not reach the app): a clear 400.
    const post = await exchange(`POST /api/messaging/messages HTTP/1.1\r\nHost: x\r\n${upgrade}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    expect(post).toMatch(/^HTTP\/1\.1 400 /);
    expect(post).toContain('without an Upgrade header');
    // Aimed at either REST surface: the body both shapes read, as for the server's other raw answers.
    const compat = await exchange(`POST /api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4\r\n\r\nTo=1`);
    expect(compat).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(compat.slice(compat.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'Bad Request', code: 10000, message: expect.stringContaining('without an Upgrade header'), more_info: expect.stringContaining('#10000'), status: 400 });
  });

  it('refuses a malformed WebSocket handshake at / in JSON, as the server refuses other requests', async () => {
    const ws = 'Upgrade: websocket\r\nConnection: Upgrade\r\n';
    const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
    const split = (answer: string) => {
      const [head, body] = answer.split('\r\n\r\n');
      return { head: head!, body: JSON.parse(body!) as Record<string, unknown> };
    };
    const noKey = split(await exchange(`GET / HTTP/1.1\r\nHost: x\r\n${ws}Sec-WebSocket-Version: 13\r\n\r\n`));
    expect(noKey.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(noKey.head).toMatch(/content-type: application\/json/i);
    expect(noKey.body).toEqual({ error: 'Bad Request', code: 10000, message: expect.stringContaining('Sec-WebSocket-Key'), more_info: expect.stringContaining('#10000'), status: 400 });
    const version = split(await exchange(`GET / HTTP/1.1\r\nHost: x\r\n${ws}${key}Sec-WebSocket-Version: 99\r\n\r\n`));
    expect(version.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(version.head).toMatch(/sec-websocket-version: 13, 8/i);
    expect(version.body.error).toBe('Bad Request');
    const post = split(await exchange(`POST / HTTP/1.1\r\nHost: x\r\n${ws}${key}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`));
    expect(post.head).toMatch(/^HTTP\/1\.1 405 /);
    expect(post.head).toMatch(/allow: GET/i);
    expect(post.body).toMatchObject({ error: 'Method Not Allowed', code: 20004, status: 405 });
    await assertHealthy();
  });
});
