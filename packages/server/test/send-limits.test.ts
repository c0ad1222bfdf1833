/**
 * Sends in progress per project (`http.maxSendRequestsPerProject`): past the bound a project's
 * message creates wait their turn, and past as many waiting they get 429 in each surface's shape —
 * the Compatibility API's 20429 (a RestException to the twilio client), the native
 * `{error, message}` — while its lists and fetches, and another project's sends, go on.
 *
 * The configured project's sends with a `hold-` idempotency key wait in the store until the test
 * lets them go, so "in progress" is certain rather than timed.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection, twilioClient } from './compat/clients.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { RawRelay, type Frame } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const LIMIT = 2;
const OTHER_NUMBER = '+15551230778';
let server: TestServer;
let other: TestProject;
const held: Array<() => void> = [];

beforeAll(async () => {
  server = await startTestServer({ maxSendRequestsPerProject: LIMIT });
  other = await createProject(server, { name: 'Another tenant', number: OTHER_NUMBER });
  const repo = server.store.idempotency as unknown as { get: (projectId: string, key: string, now: number) => Promise<unknown> };
  const get = repo.get.bind(repo);
  repo.get = async (projectId, key, now) => {
    if (projectId === PROJECT_ID && key.startsWith('hold-')) await new Promise<void>((release) => held.push(release));
    return get(projectId, key, now);
  };
});
afterAll(async () => {
  for (const release of held.splice(0)) release();
  await server?.stop();
});

const send = (auth: string, from: string, headers: Record<string, string> = {}) =>
  server.api('/api/messaging/messages', { auth, headers, body: { from, to: '+15557654321', body: 'hello' } });

describe('sends in progress per project', () => {
  it('queues the sends over the bound, refuses those past the queue in each surface shape; lists and another project go on', async () => {
    const running = Array.from({ length: LIMIT }, (_, i) => send(server.auth, NUMBERS[0]!, { 'idempotency-key': `hold-${i}` }));
    await eventually(() => held.length === LIMIT || undefined, 5_000, `${LIMIT} sends held`);
    // As many again wait their turn without reaching the store.
    const waiting = Array.from({ length: LIMIT }, (_, i) => send(server.auth, NUMBERS[0]!, { 'idempotency-key': `hold-waiting-${i}` }));
    let answered = 0;
    for (const w of waiting) void w.then(() => answered++);

    const native = await send(server.auth, NUMBERS[0]!);
    expect(native.status).toBe(429);
    expect(native.headers.get('retry-after')).toBe('1');
    expect(native.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining(`already has ${LIMIT} sends in progress and ${LIMIT} waiting`) });
    const err = await rejection(twilioClient(server.url).messages.create({ from: NUMBERS[0]!, to: '+15557654321', body: 'hello' }));
    expect(err).toBeInstanceOf(twilio.RestException);
    expect(err).toMatchObject({ status: 429, code: 20429 });

    // The project's reads are not sends; another project's sends have slots of their own.
    expect((await server.api('/api/messaging/logs?page_size=1')).status).toBe(200);
    expect((await send(other.auth, OTHER_NUMBER)).status).toBe(201);
    expect(held).toHaveLength(LIMIT);
    expect(answered).toBe(0);

    // RELAY's messaging.send takes the same turns, and waits rather than being refused.
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    let relayAnswer: any;
    const relaySend = relay.call('messaging.send', { from_number: NUMBERS[0], to_number: '+15557654321', body: 'over RELAY', context: 'default' }).then((f) => (relayAnswer = f));
    expect((await send(other.auth, OTHER_NUMBER)).status).toBe(201);
    expect(relayAnswer).toBeUndefined();

    // Each finished send lets a waiting one in.
    for (const release of held.splice(0)) release();
    await eventually(() => held.length === LIMIT || undefined, 5_000, 'the waiting sends held in turn');
    expect(relayAnswer).toBeUndefined();
    for (const release of held.splice(0)) release();
    for (const r of await Promise.all([...running, ...waiting])) expect(r.status, r.text).toBe(201);
    expect((await relaySend).result).toMatchObject({ code: '200' });
    await relay.close();
    expect((await send(server.auth, NUMBERS[0]!)).status).toBe(201);
  });

  it('queues a project\'s RELAY sends up to 64 per slot, refuses the next (-32005) and sends every queued one once slots free', async () => {
    const running = Array.from({ length: LIMIT }, (_, i) => send(server.auth, NUMBERS[0]!, { 'idempotency-key': `hold-r${i}` }));
    await eventually(() => held.length === LIMIT || undefined, 5_000, `${LIMIT} sends held`);
    // A client that reconnects keeps its earlier sends waiting: the queue is the project's, over its connections.
    const queue = LIMIT * 64;
    const first = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const params = { from_number: NUMBERS[0], to_number: '+15557654321', body: 'queued over RELAY', context: 'default' };
    for (let i = 0; i < queue / 2; i++) first.relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: `a${i}`, method: 'messaging.send', params }));
    // Requests are handled in order: once the ping is answered, every send before it waits for a slot.
    expect((await first.relay.call('signalwire.ping', {})).result).toBeDefined();
    await first.relay.cut();
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const answers = Array.from({ length: queue / 2 }, (_, i) => relay.call('messaging.send', params, `b${i}`).then((f) => f, (err: Error) => ({ error: err.message }) as Frame));
    const refused = await relay.call('messaging.send', params, 'over');
    expect(refused.error).toMatchObject({ code: -32005, message: expect.stringContaining(`${queue} sends waiting`), data: { retry_after_ms: 1000 } });
    // Another project sends meanwhile.
    expect((await send(other.auth, OTHER_NUMBER)).status).toBe(201);
    for (const release of held.splice(0)) release();
    for (const r of await Promise.all(running)) expect(r.status).toBe(201);
    for (const a of await Promise.all(answers)) expect(a.result).toMatchObject({ code: '200' });
    await relay.close();
  });
});
