import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, RelayClient, RelayError, RelayTimeoutError, RestClient } from '@switchboard/sdk';
import { createProject } from '../packages/server/test/helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';

let server: TestServer;
const clients: RelayClient[] = [];
const quiet = { error: () => {}, warn: () => {} };

function client(extra: Partial<ConstructorParameters<typeof RelayClient>[0]> = {}): RelayClient {
  const c = new RelayClient({ project: PROJECT_ID, token: API_TOKEN, host: server.url, reconnectMinDelayMs: 50, reconnectMaxDelayMs: 200, logger: quiet, ...extra });
  clients.push(c);
  return c;
}

/** Cut a client's socket without a goodbye, as a network failure would. */
function cut(c: RelayClient): void {
  (c as any).ws.terminate();
}

beforeAll(async () => {
  server = await startTestServer({ simulatorDelayedReceiptMs: 600 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect()));
  await server.stop();
});

describe('RelayClient.sendMessage', () => {
  it('follows a message to delivered, telling on() listeners every state in order', async () => {
    const c = client({ contexts: ['default'] });
    await c.connect();
    expect(c.relayProtocol).toMatch(/^signalwire_/);
    // The delayed-receipt number: `delivered` comes 600 ms later, after the listener below is in place.
    const message = await c.sendMessage({ toNumber: '+12015550106', fromNumber: NUMBERS[0]!, body: 'Hello', tags: ['vip'] });
    expect(message).toBeInstanceOf(Message);
    // Usually `queued`; later when state events overtook the answer in one read (they are applied at once).
    expect(['queued', 'initiated', 'sent', 'delivered']).toContain(message.state);
    expect(message).toMatchObject({ direction: 'outbound', context: c.relayProtocol, fromNumber: NUMBERS[0], toNumber: '+12015550106', body: 'Hello', tags: ['vip'], media: [] });
    const seen: string[] = [];
    message.on((event, m) => seen.push(`${event.params.message_state}/${m.state}`));
    const final = await message.wait(10);
    expect(final.params).toMatchObject({ message_state: 'delivered', message_id: message.messageId });
    expect(message.isDone).toBe(true);
    expect(message.result).toBe(final);
    expect(message.reason).toBe('');
    expect(message.segments).toBe(1);
    // Listeners registered after the send still see what comes next, in order and once.
    expect(seen.at(-1)).toBe('delivered/delivered');
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('reports undelivered and failed outcomes with their reason', async () => {
    const c = client();
    await c.connect();
    const undelivered = await c.sendMessage({ toNumber: '+12015550101', fromNumber: NUMBERS[0]!, body: 'Unreachable' });
    const failed = await c.sendMessage({ toNumber: '+12015550104', fromNumber: NUMBERS[0]!, body: 'Landline' });
    await Promise.all([undelivered.wait(10), failed.wait(10)]);
    expect(undelivered).toMatchObject({ state: 'undelivered', reason: 'unreachable_destination_handset' });
    expect(failed).toMatchObject({ state: 'failed', reason: 'unrouteable_message' });
    expect(failed.result?.params.reason).toBe('unrouteable_message');
  });

  it('fires onCompleted once with the terminal event', async () => {
    const c = client();
    await c.connect();
    const calls: any[] = [];
    const message = await c.sendMessage({ toNumber: '+15557654322', fromNumber: NUMBERS[0]!, body: 'Callback', onCompleted: (e) => calls.push(e) });
    await eventually(() => (calls.length ? true : undefined), 10_000, 'onCompleted');
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toHaveLength(1);
    expect(calls[0].params).toMatchObject({ message_id: message.messageId, message_state: 'delivered' });
  });

  it('rejects wait() with a RelayTimeoutError when no terminal state comes in time', async () => {
    const c = client();
    await c.connect();
    const message = await c.sendMessage({ toNumber: '+12015550107', fromNumber: NUMBERS[0]!, body: 'No receipt' });
    const err = await message.wait(0.3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayTimeoutError);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe(-32000);
    expect(message.isDone).toBe(false);
  });

  it('refuses a message without body or media before sending, and reports server refusals as RelayError', async () => {
    const c = client();
    await c.connect();
    await expect(c.sendMessage({ toNumber: '+15557654321', fromNumber: NUMBERS[0]! })).rejects.toMatchObject({ name: 'RelayError', code: 400 });
    const err = await c.sendMessage({ toNumber: '+15557654321', fromNumber: '+15550000000', body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect(err).toMatchObject({ code: 403, data: { from_number: [expect.any(String)] } });
  });

  it('fails connect() with -32002 on bad credentials', async () => {
    const c = client({ token: 'PTnot-the-token' });
    await expect(c.connect()).rejects.toMatchObject({ code: -32002 });
  });

  it('sends an MMS with media', async () => {
    const c = client();
    await c.connect();
    const m = await c.sendMessage({ toNumber: '+15557654323', fromNumber: NUMBERS[0]!, body: 'Look', media: ['https://example.com/a.jpg'] });
    expect(m.media).toEqual(['https://example.com/a.jpg']);
    const rest = new RestClient({ project: PROJECT_ID, token: API_TOKEN, host: server.url });
    const log = await rest.messaging.getLog(m.messageId);
    expect(log).toMatchObject({ kind: 'mms', id: m.messageId });
  });
});

describe('inbound messages', () => {
  it('reach every client on the context, and no client of another project', async () => {
    const other = await createProject(server, { name: 'other' });
    const otherRest = new RestClient({ project: other.projectId, token: other.token, host: server.url });
    await otherRest.phoneNumbers.register({ number: '+15551239999' });
    const registered = await otherRest.phoneNumbers.all()[Symbol.asyncIterator]().next();
    await otherRest.phoneNumbers.update(registered.value.id, { message_handler: 'relay_context', message_relay_context: 'default' });

    const a = client({ contexts: ['default'] });
    const b = client({ contexts: ['default'] });
    const stranger = client({ project: other.projectId, token: other.token, contexts: ['default'] });
    const got = { a: [] as Message[], b: [] as Message[], stranger: [] as Message[] };
    a.onMessage((m) => got.a.push(m));
    b.onMessage((m) => got.b.push(m));
    stranger.onMessage((m) => got.stranger.push(m));
    await Promise.all([a.connect(), b.connect(), stranger.connect()]);

    const res = await server.api('/api/simulator/inbound', { body: { from: '+15557650100', to: NUMBERS[1], body: 'For project one' } });
    expect(res.status).toBeLessThan(300);
    await eventually(() => (got.a.length && got.b.length ? true : undefined), 5000, 'both clients');
    for (const m of [got.a[0]!, got.b[0]!]) {
      expect(m).toMatchObject({ direction: 'inbound', state: 'received', context: 'default', fromNumber: '+15557650100', toNumber: NUMBERS[1], body: 'For project one', media: [], isDone: true });
    }
    // Project two's logs hold nothing of project one's inbound message.
    expect((await otherRest.messaging.listLogs()).data.filter((l) => l.from === '+15557650100')).toEqual([]);
    const inject = await fetch(`${server.url}/api/simulator/inbound`, {
      method: 'POST',
      headers: { authorization: other.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+15557650101', to: '+15551239999', body: 'For project two' }),
    });
    expect(inject.status).toBeLessThan(300);
    await eventually(() => (got.stranger.length ? true : undefined), 5000, 'the other project');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.stranger.map((m) => m.body)).toEqual(['For project two']);
    expect(got.a.map((m) => m.body)).toEqual(['For project one']);
    expect(got.b.map((m) => m.body)).toEqual(['For project one']);
  });
});

describe('reconnect and resume', () => {
  it('resumes after a cut socket: same protocol, missed inbound messages replayed in order', async () => {
    const c = client({ contexts: ['default'], reconnectMinDelayMs: 1500, reconnectMaxDelayMs: 1500 });
    const bodies: string[] = [];
    c.onMessage((m) => bodies.push(m.body));
    await c.connect();
    const protocol = c.relayProtocol;
    cut(c);
    await eventually(() => (server.relay.registry.get(protocol) ? undefined : true), 2000, 'the server to notice');
    for (const body of ['one', 'two', 'three']) await server.api('/api/simulator/inbound', { body: { from: '+15557650200', to: NUMBERS[1], body } });
    expect(bodies).toEqual([]);
    await eventually(() => (bodies.length >= 3 ? true : undefined), 5000, 'the replay');
    expect(bodies).toEqual(['one', 'two', 'three']);
    expect(c.relayProtocol).toBe(protocol);
    expect(c.sessionRestored).toBe(true);
  });

  it('loses no state event when the socket is cut mid-flight, and sends requests queued meanwhile', async () => {
    const c = client({ reconnectMinDelayMs: 300, reconnectMaxDelayMs: 300 });
    await c.connect();
    const message = await c.sendMessage({ toNumber: '+12015550106', fromNumber: NUMBERS[0]!, body: 'Delayed receipt' });
    const states: string[] = [];
    message.on((e) => states.push(e.params.message_state));
    await eventually(() => (message.state === 'sent' ? true : undefined), 5000, 'sent');
    cut(c);
    const queued = c.sendMessage({ toNumber: '+15557654324', fromNumber: NUMBERS[0]!, body: 'Sent while away' });
    await message.wait(10);
    expect(message.state).toBe('delivered');
    expect(states.slice(-2)).toEqual(['sent', 'delivered']);
    const second = await queued;
    await second.wait(10);
    expect(second.state).toBe('delivered');
    expect(c.sessionRestored).toBe(true);
  });

  // A server that stops hands its sessions over (resumed after the restart); one without a catch-up
  // forgets them, as a killed one would (adopted again, the SDK recovering through the REST API).
  it.each([
    { when: 'after the client is back', receiptMs: 1500, reconnectMs: 100, handOff: true },
    { when: 'while the client is away (recovered through the REST API)', receiptMs: 100, reconnectMs: 1200, handOff: false },
  ])('loses no terminal state when the server restarts mid-flight and it happens $when', async ({ receiptMs, reconnectMs, handOff }) => {
    const dataDir = `${server.dataDir}-restart-${receiptMs}`;
    const local = await startTestServer({ simulatorDelayedReceiptMs: receiptMs, ...(handOff ? {} : { relayCatchUpWindowMs: 0 }) }, { dataDir });
    const port = local.port;
    const c = new RelayClient({ project: PROJECT_ID, token: API_TOKEN, host: local.url, reconnectMinDelayMs: reconnectMs, reconnectMaxDelayMs: reconnectMs, logger: quiet });
    let localStopped = false;
    let again: TestServer | undefined;
    try {
      await c.connect();
      const protocol = c.relayProtocol;
      const early = await c.sendMessage({ toNumber: '+12015550106', fromNumber: NUMBERS[0]!, body: 'Across a restart' });
      await eventually(() => (early.state === 'sent' ? true : undefined), 5000, 'sent');
      await local.close();
      localStopped = true;
      again = await startTestServer({ simulatorDelayedReceiptMs: receiptMs, port }, { dataDir });
      await early.wait(15);
      expect(early.state).toBe('delivered');
      expect(c.relayProtocol).toBe(protocol);
      expect(c.sessionRestored).toBe(handOff);
    } finally {
      await c.disconnect();
      if (!localStopped) await local.stop();
      await again?.stop();
      // Both servers were given this folder, so neither removes it.
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('requests before the first connection', () => {
  it('connects lazily on the first request, and rejects queued requests when that connection is refused', async () => {
    const lazy = client();
    const m = await lazy.sendMessage({ toNumber: '+15557654330', fromNumber: NUMBERS[0]!, body: 'Lazy' });
    expect(lazy.isConnected).toBe(true);
    expect(m.context).toBe('default');
    await m.wait(10);
    const refused = client({ token: 'PTwrong' });
    await expect(refused.sendMessage({ toNumber: '+15557654331', fromNumber: NUMBERS[0]!, body: 'Never' })).rejects.toMatchObject({ code: -32002 });
  });
});
