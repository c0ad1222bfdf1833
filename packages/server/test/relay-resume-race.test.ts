/**
 * A resumed session is caught up from the stored events, and a state it got so may still be on its
 * way over the bus: committed before the catch-up read it, published after the session reopened (a
 * node's publishes are batched for a moment, NATS takes its time). Such a publish used to reach the
 * session as a live event: the caught-up state a second time, and an earlier state after it (the
 * client saw `delivered`, then `sent`, then `delivered` again). A session that came back now drops,
 * for a while, an event it had and one after a later state of its message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, MessageStatusEvent } from '../src/domain/ports/bus.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** The node commits the states `hold` names but publishes them only when released. */
function holdPublishes(bus: Bus, hold: (e: MessageStatusEvent) => boolean): () => void {
  const publish = bus.publish.bind(bus);
  const held: MessageStatusEvent[] = [];
  let holding = true;
  bus.publish = ((topic, event) => {
    if (holding && topic === 'message.status' && hold(event as MessageStatusEvent)) held.push(event as MessageStatusEvent);
    else publish(topic, event);
  }) as Bus['publish'];
  return () => {
    holding = false;
    for (const e of held.splice(0)) publish('message.status', e);
  };
}

describe('a resumed session whose caught-up states are published after it reopened', () => {
  it('gets each state once and in order', async () => {
    server = await startTestServer();
    const node = server;
    const release = holdPublishes(node.bus, (e) => e.message.context === 'race' && (e.status === 'sent' || e.status === 'delivered'));
    const first = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: ['race'] });
    const protocol = first.result.protocol as string;
    await first.relay.cut();
    await eventually(() => (node.relay.registry.get(protocol) ? undefined : true), 5_000, 'the session parked');

    const sender = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN);
    const sent = await sender.relay.call('messaging.send', { to_number: '+15557656001', from_number: NUMBERS[0], body: 'published late', context: 'race' });
    const id = sent.result.message_id as string;
    // Its initiated reached the parked session over the bus; sent and delivered are committed, not yet published.
    await sender.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'initiated', 1);
    await eventually(async () => ((await node.api(`/api/messaging/logs/${id}`)).body?.status === 'delivered' ? true : undefined), 10_000, 'delivered');

    const back = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(back.result).toMatchObject({ protocol, session_restored: true });
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1);
    // Now the publishes arrive, and the router routes them.
    release();
    const router = (node.relay as unknown as { router: { hasRouted(key: string): boolean } }).router;
    await eventually(() => (router.hasRouted(`${id}:delivered`) ? true : undefined), 5_000, 'the late publishes routed');
    await back.relay.call('signalwire.ping', {});
    const states = back.relay.events('messaging.state').filter((p) => p.message_id === id).map((p) => p.message_state as string);
    expect(states).toEqual(['queued', 'initiated', 'delivered']);
    await back.relay.close();
    await sender.relay.close();
  });
});
