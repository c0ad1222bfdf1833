/**
 * RELAY events that never reached the bus, or reached it while their session had no connection
 * anywhere: a node killed between committing a message's state and publishing it, or a client
 * whose node went away and who comes back on another. The database holds every state, so a session
 * adopted again (or resumed) gets, from the stored events, each followed message's last state it
 * has not had (relay/catch-up.ts). The crash is simulated by dropping the node's publishes of
 * `message.status` (the commit happens, the publish does not), then closing it as a kill would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, MessageStatusEvent } from '../src/domain/ports/bus.js';
import { createTestDatabase, NATS_TEST_URL, serversOnPostgres, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { TcpLink } from './helpers/tcp-link.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
let dataDir: string | undefined;
let db: TestDatabase | undefined;
let link: TcpLink | undefined;

afterEach(async () => {
  // A node cut from its database stops once it can reach it again.
  await link?.up();
  link = undefined;
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
  await db?.drop();
  db = undefined;
});

/** The node commits the states `drop` names but never publishes them (it "dies" in between). */
function dropPublishes(bus: Bus, drop: (e: MessageStatusEvent) => boolean): void {
  const publish = bus.publish.bind(bus);
  bus.publish = ((topic, event) => {
    if (topic === 'message.status' && drop(event as MessageStatusEvent)) return;
    publish(topic, event);
  }) as Bus['publish'];
}

async function statusOf(server: TestServer, id: string): Promise<string | undefined> {
  return (await server.api(`/api/messaging/logs/${id}`)).body?.status;
}

/** The message `id` reached `delivered` on `server` (read from the database, not from events). */
async function delivered(server: TestServer, id: string): Promise<void> {
  await eventually(async () => ((await statusOf(server, id)) === 'delivered' ? true : undefined), 20_000, 'delivered');
}

/** States of message `id` a client got, in order. */
function statesOf(relay: RawRelay, id: string): string[] {
  return relay.events('messaging.state').filter((p) => p.message_id === id).map((p) => p.message_state as string);
}

/**
 * A session on context `crash` follows a message another session sends there; the node commits
 * `delivered` and "dies" before publishing it, then a new process starts on the same data.
 */
async function deliveredUnpublished(): Promise<{ protocol: string; id: string; first: RawRelay }> {
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-catch-up-'));
  // No catch-up on the node that "dies": its stop hands no session over, as a killed process's would.
  const node = await startTestServer({ relayCatchUpWindowMs: 0 }, { dataDir });
  servers.push(node);
  dropPublishes(node.bus, (e) => e.status === 'delivered');
  const { relay: first, result } = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: ['crash'] });
  const sender = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN);
  const sent = await sender.relay.call('messaging.send', { to_number: '+15557654001', from_number: NUMBERS[0], body: 'lost at the crash', context: 'crash' });
  const id = sent.result.message_id as string;
  await first.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'sent', 1);
  await delivered(node, id);
  expect(statesOf(first, id)).not.toContain('delivered');
  await first.cut();
  await sender.relay.cut();
  // close, not stop: the data (and on PostgreSQL its database) stays for the next process.
  await node.close();
  servers.splice(servers.indexOf(node), 1);
  servers.push(await startTestServer({}, { dataDir }));
  return { protocol: result.protocol as string, id, first };
}

describe('RELAY states committed but never published, after a crash', () => {
  it('reach the session adopted again by the contexts it connects with, once, without the states it had', async () => {
    const { protocol, id, first } = await deliveredUnpublished();
    const { relay, result } = await RawRelay.connected(servers[0]!.url, PROJECT_ID, API_TOKEN, { protocol, contexts: ['crash'] });
    expect(result).toMatchObject({ protocol, session_restored: false });
    const [state] = await relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1);
    expect(state).toMatchObject({ context: 'crash', body: 'lost at the crash', direction: 'outbound' });
    await relay.call('signalwire.ping', {});
    // The last state only: the client had the earlier ones from the node that died.
    expect(statesOf(relay, id)).toEqual(['delivered']);
    expect(statesOf(first, id)).toEqual(['queued', 'initiated', 'sent']);
    await relay.close();
  });

  it('reach it after the answer to signalwire.receive, for the contexts it subscribes to then', async () => {
    const { protocol, id } = await deliveredUnpublished();
    const { relay } = await RawRelay.connected(servers[0]!.url, PROJECT_ID, API_TOKEN, { protocol, version: { major: 3, minor: 0, revision: 0 } });
    await relay.call('signalwire.ping', {});
    expect(statesOf(relay, id)).toEqual([]);
    const answer = await relay.call('signalwire.receive', { contexts: ['crash'] });
    expect(answer.result).toMatchObject({ code: '200' });
    await relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1);
    // Subscribing again replays nothing more.
    await relay.call('signalwire.receive', { contexts: ['crash', 'other'] });
    await relay.call('signalwire.ping', {});
    expect(statesOf(relay, id)).toEqual(['delivered']);
    await relay.close();
  });

  it('reach the session that sent the message, whatever the context it sent it to', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-catch-up-'));
    const node = await startTestServer({ relayCatchUpWindowMs: 0 }, { dataDir });
    servers.push(node);
    dropPublishes(node.bus, (e) => e.status === 'delivered');
    const { relay: first, result } = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN);
    const sent = await first.call('messaging.send', { to_number: '+15557654005', from_number: NUMBERS[0], body: 'sent elsewhere', context: 'elsewhere' });
    const id = sent.result.message_id as string;
    await first.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'sent', 1);
    await delivered(node, id);
    await first.cut();
    await node.close();
    servers.splice(0);
    servers.push(await startTestServer({}, { dataDir }));
    const { relay } = await RawRelay.connected(servers[0]!.url, PROJECT_ID, API_TOKEN, { protocol: result.protocol });
    const [state] = await relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1);
    expect(state).toMatchObject({ context: 'elsewhere' });
    await relay.close();
  });

  it('stay in their project and their contexts: a new session, or one following other contexts, gets none', async () => {
    const { protocol, id } = await deliveredUnpublished();
    const fresh = await RawRelay.connected(servers[0]!.url, PROJECT_ID, API_TOKEN, { contexts: ['crash'] });
    const other = await RawRelay.connected(servers[0]!.url, PROJECT_ID, API_TOKEN, { protocol, contexts: ['elsewhere'] });
    await fresh.relay.call('signalwire.ping', {});
    await other.relay.call('signalwire.ping', {});
    expect(statesOf(fresh.relay, id)).toEqual([]);
    expect(statesOf(other.relay, id)).toEqual([]);
    await fresh.relay.close();
    await other.relay.close();
  });
});

describe('RELAY states committed but never published while a session was parked', () => {
  it('reach it when it resumes, after the events it was kept, each once', async () => {
    // Slow enough that the client drops before the message is sent.
    const node = await startTestServer({ simulatorDelayMs: 500 });
    servers.push(node);
    dropPublishes(node.bus, (e) => e.status === 'delivered');
    const first = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: ['park'] });
    const sent = await first.relay.call('messaging.send', { to_number: '+15557654003', from_number: NUMBERS[0], body: 'parked', context: 'park' });
    const id = sent.result.message_id as string;
    await first.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'queued', 1);
    await first.relay.cut();
    await delivered(node, id);
    const back = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { protocol: first.result.protocol });
    expect(back.result).toMatchObject({ session_restored: true });
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1);
    await back.relay.call('signalwire.ping', {});
    expect([...statesOf(first.relay, id), ...statesOf(back.relay, id)]).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    await back.relay.close();
  });
});

describe.skipIf(!serversOnPostgres || servicesOff)('RELAY states published while a client moved to another node', () => {
  it('reach the session adopted again on the other node', async () => {
    db = await createTestDatabase();
    const prefix = `sbcatchup-${randomBytes(4).toString('hex')}`;
    // A resume window of 1 ms: the events of node B's start (startup-events.ts) are not what brings the state.
    const common = { databaseUrl: db.url, databasePoolSize: 4, natsUrl: NATS_TEST_URL, natsSubjectPrefix: prefix, relayResumeWindowMs: 1 };
    // A goes away as if killed: its stop hands no session over (no catch-up there; relay-handoff.test.ts has the hand-over).
    const a = await startTestServer({ ...common, nodeId: 'catch-up-a', relayCatchUpWindowMs: 0 });
    const b = await startTestServer({ ...common, nodeId: 'catch-up-b' });
    servers.push(a, b);
    const away = await RawRelay.connected(a.url, PROJECT_ID, API_TOKEN, { contexts: ['move'] });
    const protocol = away.result.protocol as string;
    // Node A goes away with the client's connection.
    await a.close();
    servers.splice(servers.indexOf(a), 1);
    await away.relay.closed();
    const sender = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN);
    const sent = await sender.relay.call('messaging.send', { to_number: '+15557654002', from_number: NUMBERS[0], body: 'while away', context: 'move' });
    const id = sent.result.message_id as string;
    await delivered(b, id);
    const back = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN, { protocol, contexts: ['move'] });
    expect(back.result).toMatchObject({ protocol, session_restored: false });
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1);
    await back.relay.call('signalwire.ping', {});
    expect(statesOf(back.relay, id)).toEqual(['delivered']);
    await back.relay.close();
    await sender.relay.close();
  });
});

describe.skipIf(!serversOnPostgres || servicesOff)('RELAY states a node committed but never published before it died', () => {
  it('reach the sessions connected to another node once that node finds it dead', async () => {
    db = await createTestDatabase();
    const prefix = `sblost-${randomBytes(4).toString('hex')}`;
    const common = { databasePoolSize: 4, natsUrl: NATS_TEST_URL, natsSubjectPrefix: prefix, clusterHeartbeatMs: 250 };
    // B does not dispatch (A commits every state) and takes A for dead a second after its last heartbeat.
    const b = await startTestServer({ ...common, databaseUrl: db.url, nodeId: 'lost-b', roles: ['api', 'relay', 'webhooks'], clusterNodeTimeoutMs: 1000 });
    servers.push(b);
    // A reaches the database through a link the test takes down: it dies for the others (heartbeats stop, no goodbye).
    link = TcpLink.to(db.url);
    await link.up();
    const a = await startTestServer({ ...common, databaseUrl: link.via(db.url), nodeId: 'lost-a', clusterNodeTimeoutMs: 600_000 });
    servers.push(a);
    dropPublishes(a.bus, (e) => e.status === 'delivered');
    const live = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN, { contexts: ['live'] });
    const sender = await RawRelay.connected(a.url, PROJECT_ID, API_TOKEN);
    const sent = await sender.relay.call('messaging.send', { to_number: '+15557654004', from_number: NUMBERS[0], body: 'committed, not published', context: 'live' });
    const id = sent.result.message_id as string;
    await live.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'sent', 1);
    await delivered(b, id);
    await live.relay.call('signalwire.ping', {});
    expect(statesOf(live.relay, id)).not.toContain('delivered');
    // A is silent from now on: B's round takes it for dead and every node reads back what it committed.
    await link.down();
    await eventually(async () => (statesOf(live.relay, id).includes('delivered') ? true : undefined), 15_000, 'the delivered state on node B');
    await live.relay.call('signalwire.ping', {});
    expect(statesOf(live.relay, id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    await live.relay.close();
    await sender.relay.close();
  });
});
