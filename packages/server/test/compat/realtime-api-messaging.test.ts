/**
 * SignalWire's @signalwire/realtime-api (v4) messaging client as an application uses it: send
 * SMS and MMS with tags to a context, follow them with onMessageUpdated, take inbound messages
 * with onMessageReceived on each number's relay context, stop listening, and come back after the
 * connection drops (the client resumes its session with `protocol` and subscribes its topics
 * again) with what arrived meanwhile.
 */
import { SignalWire } from '@signalwire/realtime-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { phoneNumberId } from '../helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { TcpLink } from '../helpers/tcp-link.js';

interface SeenMessage {
  id: string;
  state: string;
  context: string;
  from: string;
  to: string;
  body: string;
  direction: string;
  media: string[];
  segments: number;
  tags: string[];
  reason?: string;
}

let server: TestServer;
const clients: any[] = [];

beforeAll(async () => {
  server = await startTestServer();
  // The second number's inbound messages go to the `office` context (the first keeps `default`).
  const res = await server.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(server, NUMBERS[1]!)}`, { method: 'PUT', body: { message_handler: 'relay_context', message_relay_context: 'office' } });
  expect(res.status).toBe(200);
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.disconnect();
});
afterAll(async () => {
  await server.stop();
});

async function connect(host = server.url.replace(/^http/, 'ws')): Promise<any> {
  const client = await SignalWire({ project: PROJECT_ID, token: API_TOKEN, host, logLevel: 'silent' } as any);
  clients.push(client);
  return client;
}

/** What a listener saw, as plain objects (the client's Message instances). */
function recorder(): { seen: SeenMessage[]; push: (m: SeenMessage) => void } {
  const seen: SeenMessage[] = [];
  return { seen, push: (m) => void seen.push({ ...m }) };
}

async function inbound(from: string, to: string, body: string, media?: string[]): Promise<string> {
  const res = await server.api('/api/simulator/inbound', { body: { from, to, body, ...(media ? { media } : {}) } });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('@signalwire/realtime-api messaging', () => {
  it('sends an MMS with tags to a context, and only that context’s onMessageUpdated sees its states, with media and tags', async () => {
    const client = await connect();
    const office = recorder();
    const other = recorder();
    await client.messaging.listen({ topics: ['campaign'], onMessageUpdated: office.push });
    await client.messaging.listen({ topics: ['elsewhere'], onMessageUpdated: other.push });
    const sent = await client.messaging.send({ from: NUMBERS[0], to: '+15557691001', body: 'Spring sale', media: ['https://cdn.example.com/sale.jpg'], tags: ['spring', 'mms'], context: 'campaign' });
    expect(sent).toMatchObject({ code: '200', message: 'Message accepted' });
    expect(sent.messageId).toMatch(/^[0-9a-f-]{36}$/);
    // An MMS gets a receipt from the simulator (simulator.mmsReceipts defaults to true).
    await eventually(() => (office.seen.some((m) => m.state === 'delivered') ? true : undefined));
    expect(office.seen.map((m) => m.state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    for (const m of office.seen) {
      expect(m).toMatchObject({ id: sent.messageId, context: 'campaign', direction: 'outbound', from: NUMBERS[0], to: '+15557691001', body: 'Spring sale', media: ['https://cdn.example.com/sale.jpg'], tags: ['spring', 'mms'], segments: 1 });
    }
    expect(other.seen).toEqual([]);
  });

  it('sends with no context to `default`, and reports a failure with its reason', async () => {
    const client = await connect();
    const updates = recorder();
    await client.messaging.listen({ topics: ['default'], onMessageUpdated: updates.push });
    // The simulator's magic number for an unreachable handset (docs/simulator.md).
    const sent = await client.messaging.send({ from: NUMBERS[0], to: '+12015550101', body: 'unreachable' });
    await eventually(() => (updates.seen.some((m) => m.id === sent.messageId && m.state === 'undelivered') ? true : undefined));
    const mine = updates.seen.filter((m) => m.id === sent.messageId);
    expect(mine.map((m) => m.state)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect(mine[3]).toMatchObject({ context: 'default', reason: 'unreachable_destination_handset' });
    expect(mine.slice(0, 3).every((m) => m.reason === undefined)).toBe(true);
  });

  it('refuses a send from a number the project does not have, or with neither body nor media, with the code and message the client rejects with', async () => {
    const client = await connect();
    await expect(client.messaging.send({ from: '+15559990000', to: '+15557691002', body: 'x' })).rejects.toMatchObject({ code: '403', message: expect.stringContaining('+15559990000') });
    await expect(client.messaging.send({ from: NUMBERS[0], to: '+15557691002' })).rejects.toMatchObject({ code: '400', data: { body: [expect.any(String)] } });
  });

  it("gets each inbound message on its number's relay context, with media, until the listener is removed", async () => {
    const client = await connect();
    const byDefault = recorder();
    const byOffice = recorder();
    await client.messaging.listen({ topics: ['default'], onMessageReceived: byDefault.push });
    const stopOffice = await client.messaging.listen({ topics: ['office'], onMessageReceived: byOffice.push });
    const toFirst = await inbound('+15557692001', NUMBERS[0]!, 'to the first number', ['https://cdn.example.com/in.png']);
    const toSecond = await inbound('+15557692001', NUMBERS[1]!, 'to the office number');
    await eventually(() => (byDefault.seen.length === 1 && byOffice.seen.length === 1 ? true : undefined));
    expect(byDefault.seen[0]).toMatchObject({ id: toFirst, state: 'received', context: 'default', direction: 'inbound', from: '+15557692001', to: NUMBERS[0], body: 'to the first number', media: ['https://cdn.example.com/in.png'], segments: 1, tags: [] });
    expect(byOffice.seen[0]).toMatchObject({ id: toSecond, state: 'received', context: 'office', to: NUMBERS[1], body: 'to the office number', media: [] });

    await stopOffice();
    const afterStop = await inbound('+15557692001', NUMBERS[1]!, 'nobody listens to office');
    const marker = await inbound('+15557692001', NUMBERS[0]!, 'marker on default');
    await eventually(() => (byDefault.seen.some((m) => m.id === marker) ? true : undefined));
    expect(byOffice.seen.map((m) => m.id)).toEqual([toSecond]);
    expect(byDefault.seen.map((m) => m.id)).not.toContain(afterStop);
  });

  it('comes back after the connection drops: the session resumes, inbound messages that came meanwhile arrive, and sends work again', async () => {
    const link = TcpLink.to(server.url);
    await link.up();
    try {
      const client = await connect(link.via(server.url).replace(/^http/, 'ws').replace(/\/$/, ''));
      const received = recorder();
      const updates = recorder();
      await client.messaging.listen({ topics: ['default'], onMessageReceived: received.push, onMessageUpdated: updates.push });
      const before = await inbound('+15557693001', NUMBERS[0]!, 'before the drop');
      await eventually(() => (received.seen.length === 1 ? true : undefined));

      // The link refuses connections until it is brought back: the client retries meanwhile.
      await link.down();
      const during = await inbound('+15557693001', NUMBERS[0]!, 'while away');
      await link.up();
      await eventually(() => (received.seen.some((m) => m.id === during) ? true : undefined), 20_000, 'the message that came while away');
      // Delivery is at least once (docs/api/relay.md): the link went down right after `before`
      // arrived, so its acknowledgement may not have reached the server, which then sends it again
      // on the resume. Nothing else may come twice.
      const once = (ids: string[]) => ids.filter((id, i) => !(id === before && ids.indexOf(id) < i));
      expect(once(received.seen.map((m) => m.id))).toEqual([before, during]);

      const sent = await client.messaging.send({ from: NUMBERS[0], to: '+15557693002', body: 'after the drop' });
      await eventually(() => (updates.seen.some((m) => m.id === sent.messageId && m.state === 'delivered') ? true : undefined));
      const after = await inbound('+15557693001', NUMBERS[0]!, 'after the drop');
      await eventually(() => (received.seen.some((m) => m.id === after) ? true : undefined));
      // Each inbound message once but `before` (above): none replayed twice by the resumed session and the new subscription.
      expect(once(received.seen.map((m) => m.id))).toEqual([before, during, after]);
    } finally {
      await link.down();
    }
  });
});
