/**
 * SignalWire's own `@signalwire/realtime-api` v4 is the judge of RELAY compatibility: pointed at
 * ws://127.0.0.1:<port>, it must send messages and receive inbound messages and state updates
 * (every outcome, on every client listening on the topic).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignalWire } from '@signalwire/realtime-api';
import { phoneNumberId } from '../packages/server/test/helpers/projects.js';
import { RawRelay } from '../packages/server/test/helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';

let server: TestServer;
let client: Awaited<ReturnType<typeof SignalWire>>;

beforeAll(async () => {
  server = await startTestServer();
  client = await SignalWire({ project: PROJECT_ID, token: API_TOKEN, host: `ws://127.0.0.1:${server.port}`, logLevel: 'silent' } as any);
});
afterAll(async () => {
  await client?.disconnect();
  await server.stop();
});

describe('@signalwire/realtime-api v4 against Switchboard', () => {
  it('sends a message with client.messaging.send', async () => {
    const result = await client.messaging.send({ from: NUMBERS[0]!, to: '+15557651000', body: 'Hello from realtime-api', tags: ['rt'] });
    expect(result).toMatchObject({ code: '200', message: 'Message accepted', messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const stored = await server.store.messages.get(PROJECT_ID, result.messageId);
    expect(stored).toMatchObject({ origin: 'relay', context: 'default', tags: ['rt'], body: 'Hello from realtime-api' });
  });

  it('rejects a refused send with the result object', async () => {
    const err = await client.messaging.send({ from: '+15550000000', to: '+15557651001', body: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '403' });
  });

  it('receives state updates with onMessageUpdated', async () => {
    const updates: any[] = [];
    const unsubscribe = await client.messaging.listen({ topics: ['office'], onMessageUpdated: (m) => updates.push(m) });
    const result = await client.messaging.send({ from: NUMBERS[0]!, to: '+12015550101', body: 'Track me', context: 'office' });
    await eventually(() => (updates.some((m) => m.id === result.messageId && m.state === 'undelivered') ? true : undefined), 10_000, 'undelivered');
    const mine = updates.filter((m) => m.id === result.messageId);
    expect(mine.map((m) => m.state)).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    expect(mine[3]).toMatchObject({ context: 'office', from: NUMBERS[0], to: '+12015550101', body: 'Track me', direction: 'outbound', media: [], segments: 1, reason: 'unreachable_destination_handset' });
    await unsubscribe();
  });

  it('onMessageUpdated through every outcome, seen alike by a second client on the topic; an MMS keeps its media and tags', async () => {
    const second = await SignalWire({ project: PROJECT_ID, token: API_TOKEN, host: `ws://127.0.0.1:${server.port}`, logLevel: 'silent' } as any);
    const updates: any[] = [];
    const seenBySecond: any[] = [];
    const unsubscribe = await client.messaging.listen({ topics: ['outcomes', 'pictures'], onMessageUpdated: (m) => updates.push(m) });
    const unsubscribeSecond = await second.messaging.listen({ topics: ['outcomes'], onMessageUpdated: (m) => seenBySecond.push(m) });
    try {
      // The simulator's numbers for each outcome (docs/simulator.md): failed at submission never reaches sent.
      const expected: Record<string, string[]> = {
        '+12015550104': ['queued', 'initiated', 'failed'],
        '+12015550102': ['queued', 'initiated', 'sent', 'undelivered'],
        '+15557651010': ['queued', 'initiated', 'sent', 'delivered'],
      };
      const ids: Record<string, string> = {};
      for (const to of Object.keys(expected)) ids[to] = (await client.messaging.send({ from: NUMBERS[0]!, to, body: `outcome for ${to}`, context: 'outcomes' })).messageId;
      const mms = await client.messaging.send({ from: NUMBERS[0]!, to: '+15557651011', media: ['https://example.com/a.png'], tags: ['album'], context: 'pictures' });
      const states = (seen: any[], id: string) => seen.filter((m) => m.id === id).map((m) => m.state);
      const done = () => Object.entries(ids).every(([to, id]) => states(updates, id).length === expected[to]!.length && states(seenBySecond, id).length === expected[to]!.length) && states(updates, mms.messageId).length === 4;
      await eventually(() => (done() ? true : undefined), 10_000, 'every state of every message');
      for (const [to, id] of Object.entries(ids)) {
        expect(states(updates, id), to).toEqual(expected[to]);
        expect(states(seenBySecond, id), to).toEqual(expected[to]);
      }
      expect(updates.find((m) => m.id === ids['+12015550104'] && m.state === 'failed')).toMatchObject({ reason: 'unrouteable_message', context: 'outcomes' });
      expect(states(updates, mms.messageId)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
      expect(updates.filter((m) => m.id === mms.messageId).at(-1)).toMatchObject({ context: 'pictures', body: '', media: ['https://example.com/a.png'], tags: ['album'], direction: 'outbound' });
      // The second client listens on "outcomes" only.
      expect(seenBySecond.some((m) => m.id === mms.messageId)).toBe(false);
    } finally {
      await unsubscribe();
      await unsubscribeSecond();
      await second.disconnect();
    }
  });

  it('receives inbound messages with onMessageReceived', async () => {
    const received: any[] = [];
    const unsubscribe = await client.messaging.listen({ topics: ['default'], onMessageReceived: (m) => received.push(m) });
    // A message to one of the server's own numbers loops back as an inbound message on context "default".
    await client.messaging.send({ from: NUMBERS[0]!, to: NUMBERS[1]!, body: 'Loop back to me' });
    await server.api('/api/simulator/inbound', { body: { from: '+15557651002', to: NUMBERS[1], body: 'From a handset', media: ['https://example.com/cat.jpg'] } });
    await eventually(() => (received.length >= 2 ? true : undefined), 10_000, 'two inbound messages');
    const byBody = Object.fromEntries(received.map((m) => [m.body, m]));
    expect(byBody['Loop back to me']).toMatchObject({ context: 'default', direction: 'inbound', from: NUMBERS[0], to: NUMBERS[1], state: 'received', media: [] });
    expect(byBody['From a handset']).toMatchObject({ from: '+15557651002', media: ['https://example.com/cat.jpg'] });
    await unsubscribe();
  });

  it('receives inbound messages on the topic of a number set to relay_topic, its context set too', async () => {
    // The numbers created at first start have context "default"; the handler picks which field routes.
    const id = await phoneNumberId(server, NUMBERS[1]!);
    const put = await server.api(`/api/relay/rest/phone_numbers/${id}`, { method: 'PUT', body: { message_handler: 'relay_topic', message_relay_topic: 'sales' } });
    expect(put.body).toMatchObject({ message_handler: 'relay_topic', message_relay_topic: 'sales', message_relay_context: 'default' });
    const onTopic: any[] = [];
    const onContext: any[] = [];
    const unTopic = await client.messaging.listen({ topics: ['sales'], onMessageReceived: (m) => onTopic.push(m) });
    const unContext = await client.messaging.listen({ topics: ['default'], onMessageReceived: (m) => onContext.push(m) });
    try {
      await server.api('/api/simulator/inbound', { body: { from: '+15557651004', to: NUMBERS[1], body: 'For sales' } });
      await eventually(() => (onTopic.length > 0 ? true : undefined), 10_000, 'the message on topic sales');
      expect(onTopic[0]).toMatchObject({ context: 'sales', body: 'For sales', to: NUMBERS[1] });
      // Back on relay_context, the number's context routes again.
      await server.api(`/api/relay/rest/phone_numbers/${id}`, { method: 'PUT', body: { message_handler: 'relay_context' } });
      await server.api('/api/simulator/inbound', { body: { from: '+15557651004', to: NUMBERS[1], body: 'For default' } });
      await eventually(() => (onContext.length > 0 ? true : undefined), 10_000, 'the message on context default');
      expect(onContext.map((m) => m.body)).toEqual(['For default']);
      expect(onTopic.map((m) => m.body)).toEqual(['For sales']);
    } finally {
      await unTopic();
      await unContext();
      await server.api(`/api/relay/rest/phone_numbers/${id}`, { method: 'PUT', body: { message_handler: 'relay_context', message_relay_topic: null } });
    }
  });

  it('changes its topics while connected: listen() adds one, the unsubscribe it returns removes it once no other listener has it', async () => {
    const sender = await SignalWire({ project: PROJECT_ID, token: API_TOKEN, host: `ws://127.0.0.1:${server.port}`, logLevel: 'silent' } as any);
    const listener = await SignalWire({ project: PROJECT_ID, token: API_TOKEN, host: `ws://127.0.0.1:${server.port}`, logLevel: 'silent' } as any);
    const seen: string[] = [];
    const sessions = () => new Set([...server.relay.registry.all()].map((s) => s.protocol));
    const before = sessions();
    const un1 = await listener.messaging.listen({ topics: ['topic-a'], onMessageUpdated: (m) => seen.push(`1 ${m.body} ${m.state}`) });
    const un2 = await listener.messaging.listen({ topics: ['topic-b'], onMessageUpdated: (m) => seen.push(`2 ${m.body} ${m.state}`) });
    const un3 = await listener.messaging.listen({ topics: ['topic-b'], onMessageUpdated: (m) => seen.push(`3 ${m.body} ${m.state}`) });
    // The listener's session on the server: the one whose contexts the listens set.
    const session = [...server.relay.registry.all()].find((s) => s.contexts.has('topic-a'))!;
    expect(before.has(session.protocol)).toBe(true);
    expect([...session.contexts].sort()).toEqual(['topic-a', 'topic-b']);
    const delivered = async (body: string, listenerTag: string) => {
      await eventually(() => (seen.includes(`${listenerTag} ${body} delivered`) ? true : undefined), 10_000, `${body} delivered to listener ${listenerTag}`);
    };
    try {
      await sender.messaging.send({ from: NUMBERS[0]!, to: '+15557651020', body: 'one', context: 'topic-a' });
      await sender.messaging.send({ from: NUMBERS[0]!, to: '+15557651021', body: 'two', context: 'topic-b' });
      await delivered('one', '1');
      await delivered('two', '2');
      await delivered('two', '3');
      // Unsubscribing sends signalwire.unreceive for topic-a only: topic-b still has a listener.
      await un1();
      await un2();
      expect([...session.contexts]).toEqual(['topic-b']);
      await sender.messaging.send({ from: NUMBERS[0]!, to: '+15557651022', body: 'four', context: 'topic-b' });
      await delivered('four', '3');
      await un3();
      expect(session.contexts.size).toBe(0);
      // Listening again subscribes again.
      const un4 = await listener.messaging.listen({ topics: ['topic-a'], onMessageUpdated: (m) => seen.push(`4 ${m.body} ${m.state}`) });
      expect([...session.contexts]).toEqual(['topic-a']);
      await sender.messaging.send({ from: NUMBERS[0]!, to: '+15557651023', body: 'six', context: 'topic-a' });
      await delivered('six', '4');
      await un4();
      expect(seen.filter((e) => e.startsWith('1 ')).map((e) => e.split(' ')[1])).toEqual(['one', 'one', 'one', 'one']);
      expect(seen.filter((e) => e.startsWith('2 ')).map((e) => e.split(' ')[1])).toEqual(['two', 'two', 'two', 'two']);
      expect(seen.filter((e) => e.startsWith('3 ') && e.endsWith(' delivered'))).toEqual(['3 two delivered', '3 four delivered']);
    } finally {
      await listener.disconnect();
      await sender.disconnect();
    }
  });

  it('resumes its session after the connection drops, getting the state events it missed', async () => {
    const updates: any[] = [];
    const unsubscribe = await client.messaging.listen({ topics: ['resume-rt'], onMessageUpdated: (m) => updates.push(m) });
    const [session] = [...server.relay.registry.all()];
    const protocol = session!.protocol;
    for (const conn of (server.relay as any).connections) conn.terminate();
    await eventually(() => (server.relay.registry.get(protocol) ? undefined : true), 5000, 'the session to be parked');
    // While realtime-api waits to reconnect (1-4 s), a message on its context runs its whole course.
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const sent = await relay.call('messaging.send', { to_number: '+15557651003', from_number: NUMBERS[0], body: 'While you were away', context: 'resume-rt' });
    await relay.waitForEvents('messaging.state', (p) => p.message_id === sent.result.message_id && p.message_state === 'delivered', 1);
    expect(updates).toEqual([]);
    await eventually(() => (updates.filter((m) => m.id === sent.result.message_id).length === 4 ? true : undefined), 10_000, 'the replay');
    expect(updates.map((m) => m.state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(server.relay.registry.get(protocol)).toBeDefined();
    await relay.close();
    await unsubscribe();
  }, 20_000);
});

describe('@signalwire/realtime-api v4 across a server restart', () => {
  it('reconnects to the restarted server on its own, under the same protocol, and gets the events of its topics again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-rt-restart-'));
    let local = await startTestServer({}, { dataDir });
    const port = local.port;
    const rt = await SignalWire({ project: PROJECT_ID, token: API_TOKEN, host: `ws://127.0.0.1:${port}`, logLevel: 'silent' } as any);
    try {
      const updates: any[] = [];
      const received: any[] = [];
      await rt.messaging.listen({ topics: ['restart-rt'], onMessageUpdated: (m) => updates.push(m), onMessageReceived: (m) => received.push(m) });
      const [before] = [...local.relay.registry.all()];
      await local.close();
      local = await startTestServer({ port }, { dataDir });
      // realtime-api reconnects after 1-4 s; the new server knows no session and adopts its signed protocol.
      const after = await eventually(() => [...local.relay.registry.all()][0], 20_000, 'the client to reconnect');
      expect(after.protocol).toBe(before!.protocol);
      const sent = await rt.messaging.send({ from: NUMBERS[0]!, to: '+15557651005', body: 'After the restart', context: 'restart-rt' });
      await eventually(() => (updates.some((m) => m.id === sent.messageId && m.state === 'delivered') ? true : undefined), 10_000, 'delivered');
      expect(updates.filter((m) => m.id === sent.messageId).map((m) => m.state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
      // Its topics were subscribed again too: inbound messages on them arrive.
      const id = await phoneNumberId(local, NUMBERS[1]!);
      await local.api(`/api/relay/rest/phone_numbers/${id}`, { method: 'PUT', body: { message_handler: 'relay_topic', message_relay_topic: 'restart-rt' } });
      await local.api('/api/simulator/inbound', { body: { from: '+15557651006', to: NUMBERS[1], body: 'Inbound after the restart' } });
      await eventually(() => (received.length > 0 ? true : undefined), 10_000, 'the inbound message');
      expect(received[0]).toMatchObject({ context: 'restart-rt', body: 'Inbound after the restart' });
    } finally {
      await rt.disconnect();
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);

  it('gets the last states of a message in flight across the restart, reached before it reconnected', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-rt-inflight-'));
    let local = await startTestServer({ simulatorDelayMs: 1000 }, { dataDir });
    const port = local.port;
    const rt = await SignalWire({ project: PROJECT_ID, token: API_TOKEN, host: `ws://127.0.0.1:${port}`, logLevel: 'silent' } as any);
    try {
      const updates: any[] = [];
      await rt.messaging.listen({ topics: ['inflight-rt'], onMessageUpdated: (m) => updates.push(m) });
      const sent = await rt.messaging.send({ from: NUMBERS[0]!, to: '+15557651007', body: 'In flight across a restart', context: 'inflight-rt' });
      await eventually(() => (updates.some((m) => m.id === sent.messageId) ? true : undefined), 10_000, 'a first update');
      await local.close();
      // The new process delivers it at once, before the client is back (it reconnects after 1-4 s).
      local = await startTestServer({ port, simulatorDelayMs: 0 }, { dataDir });
      await eventually(() => (updates.some((m) => m.id === sent.messageId && m.state === 'delivered') ? true : undefined), 20_000, 'delivered, replayed after the reconnect');
    } finally {
      await rt.disconnect();
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
