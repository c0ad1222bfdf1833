/**
 * Safe retries on every surface that creates messages: the `Idempotency-Key` header on the native
 * API (fetch) and on the Compatibility API (the official `twilio` client, given the header by its
 * documented `httpClient` hook), and RELAY's `idempotency_key` parameter. The same key twice is one
 * message and the same answer; a different request under the key is refused (422); concurrent
 * requests with one key create one message; keys belong to their project.
 */
import { request as httpRequest } from 'node:http';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection, twilioClient } from './compat/clients.js';
import { createProject } from './helpers/projects.js';
import { requestText } from './helpers/raw-http.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Messages the project holds to one destination (each test uses its own). */
const messagesTo = async (to: string, projectId = PROJECT_ID) => (await server.store.messages.list(projectId, { to }, { limit: 100 })).length;

const nativeSend = (key: string | null, body: Record<string, unknown>, auth?: string) =>
  server.api('/api/messaging/messages', { body: { from: NUMBERS[0], ...body }, headers: key === null ? {} : { 'Idempotency-Key': key }, ...(auth ? { auth } : {}) });

describe('Idempotency-Key on the native API', () => {
  it('answers a retry with the first answer (201, same body) and sends one message', async () => {
    const to = '+15557000001';
    const first = await nativeSend('native-1', { to, body: 'Your code is 111111' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await nativeSend('native-1', { body: 'Your code is 111111', to });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await messagesTo(to)).toBe(1);
    // The handset got it once.
    const inbox = await server.api(`/api/simulator/messages/wait?to=${encodeURIComponent(to)}&timeout=5`);
    expect(inbox.status).toBe(200);
    expect((await server.api(`/api/simulator/messages?to=${encodeURIComponent(to)}`)).body.data).toHaveLength(1);
  });

  it('refuses the key with a different request: 422 idempotency_key_reused, nothing sent', async () => {
    const to = '+15557000002';
    expect((await nativeSend('native-2', { to, body: 'first' })).status).toBe(201);
    const other = await nativeSend('native-2', { to, body: 'something else' });
    expect(other.status).toBe(422);
    expect(other.body).toEqual({ errors: [expect.objectContaining({ code: 'idempotency_key_reused', attribute: 'idempotency_key' })] });
    expect(await messagesTo(to)).toBe(1);
  });

  it('creates one message for concurrent requests with one key', async () => {
    const to = '+15557000003';
    const answers = await Promise.all(Array.from({ length: 12 }, () => nativeSend('native-3', { to, body: 'at once' })));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await messagesTo(to)).toBe(1);
  });

  it("keeps keys per project: another project's request with the same key is its own message", async () => {
    const other = await createProject(server, { name: 'Idempotency neighbour', number: '+15557009999' });
    const to = '+15557000004';
    const mine = await nativeSend('shared-key', { to, body: 'hello' });
    const theirs = await nativeSend('shared-key', { to, body: 'hello', from: '+15557009999' }, other.auth);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await messagesTo(to, other.projectId)).toBe(1);
  });

  it('refuses a key that is not 1 to 255 printable ASCII characters', async () => {
    const bad = await nativeSend('x'.repeat(256), { to: '+15557000005', body: 'hello' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ code: 'invalid_idempotency_key' });
    expect(await messagesTo('+15557000005')).toBe(0);
  });
});

describe('Idempotency-Key given more than once', () => {
  it('is refused on both surfaces (node joined the lines into one key "a, b"), sending nothing', async () => {
    const to = '+15557000009';
    const { port } = new URL(server.url);
    const send = (path: string, type: string, body: string) =>
      requestText(httpRequest, { host: '127.0.0.1', port, method: 'POST', path, headers: { authorization: server.auth, 'content-type': type, 'idempotency-key': ['twice-a', 'twice-b'] } }, body);
    const native = await send('/api/messaging/messages', 'application/json', JSON.stringify({ from: NUMBERS[0], to, body: 'hello' }));
    expect(native.status, native.body).toBe(422);
    expect(JSON.parse(native.body).errors[0]).toMatchObject({ code: 'invalid_idempotency_key', message: expect.stringContaining('once') });
    const compat = await send(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, 'application/x-www-form-urlencoded', `To=${encodeURIComponent(to)}&From=${encodeURIComponent(NUMBERS[0]!)}&Body=hello`);
    expect(compat.status, compat.body).toBe(400);
    expect(JSON.parse(compat.body)).toMatchObject({ code: 10000, message: expect.stringContaining('once') });
    expect(await messagesTo(to)).toBe(0);
    // One line holding a comma is one key, as before.
    expect((await nativeSend('one, line', { to, body: 'hello' })).status).toBe(201);
  });
});

describe('Idempotency-Key on the Compatibility API (twilio client)', () => {
  /** The official client, sending `Idempotency-Key: <key>` on each request while `key` is set. */
  class KeyedRequestClient extends twilio.RequestClient {
    key: string | null = null;
    override request<TData>(opts: twilio.RequestClient.RequestOptions<TData>) {
      return super.request({ ...opts, headers: { ...opts.headers, ...(this.key ? { 'Idempotency-Key': this.key } : {}) } });
    }
  }
  const http = new KeyedRequestClient();
  let client: twilio.Twilio;
  beforeAll(() => {
    client = twilioClient(server.url, { httpClient: http });
  });

  it('gives a retry the same message, and sends it once', async () => {
    const to = '+15557000011';
    http.key = 'compat-1';
    const first = await client.messages.create({ to, from: NUMBERS[0]!, body: 'Compat retry' });
    const again = await client.messages.create({ to, from: NUMBERS[0]!, body: 'Compat retry' });
    expect(again.sid).toBe(first.sid);
    expect(again.toJSON()).toEqual(first.toJSON());
    expect(first.status).toBe('queued');
    expect(await messagesTo(to)).toBe(1);
  });

  it('refuses the key with a different request: 422 with code 20422', async () => {
    const to = '+15557000012';
    http.key = 'compat-2';
    await client.messages.create({ to, from: NUMBERS[0]!, body: 'one' });
    const err = await rejection(client.messages.create({ to, from: NUMBERS[0]!, body: 'two' }));
    expect(err).toMatchObject({ status: 422, code: 20422 });
    expect(err.message).toMatch(/idempotency key was already used/);
    expect(await messagesTo(to)).toBe(1);
  });

  it('creates one message for concurrent requests with one key', async () => {
    const to = '+15557000013';
    http.key = 'compat-3';
    const created = await Promise.all(Array.from({ length: 6 }, () => client.messages.create({ to, from: NUMBERS[0]!, body: 'together' })));
    expect(new Set(created.map((m) => m.sid)).size).toBe(1);
    expect(await messagesTo(to)).toBe(1);
  });
});

describe('idempotency_key on RELAY messaging.send', () => {
  it('answers a retry with the same message_id (from another session too), and refuses a different request with code 422', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    try {
      const to = '+15557000021';
      const params = { to_number: to, from_number: NUMBERS[0], body: 'over RELAY', idempotency_key: 'relay-1' };
      const first = await relay.call('messaging.send', params);
      const again = await relay.call('messaging.send', { ...params });
      expect(first.result).toMatchObject({ code: '200', message_id: expect.any(String) });
      expect(again.result).toEqual(first.result);
      expect(await messagesTo(to)).toBe(1);
      // From another session, with that session's context: still the same send.
      const { relay: second } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
      const fromElsewhere = await second.call('messaging.send', { ...params, context: 'another-session' });
      await second.close();
      expect(fromElsewhere.result).toEqual(first.result);
      const other = await relay.call('messaging.send', { ...params, body: 'changed' });
      expect(other.result).toMatchObject({ code: '422', data: { idempotency_key: [expect.stringMatching(/already used/)] } });
      expect(await messagesTo(to)).toBe(1);
    } finally {
      await relay.close();
    }
  });
});
