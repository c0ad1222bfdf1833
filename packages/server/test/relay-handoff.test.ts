/**
 * A node that stops (a deploy, a scale-in) hands its RELAY sessions over: its live sessions are
 * parked as a dropped connection's are, and the parked sessions stay in the database instead of
 * being forgotten. The client that comes back on another node resumes there (`session_restored:
 * true`) from the position it left at: what it had is not sent again, and what happened since (a
 * message's states, an inbound message for its contexts) is caught up from the stored events, once.
 * Without the hand-over it was adopted again with no position: each message's last state of the
 * catch-up window came a second time, and inbound messages received meanwhile never came.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, NATS_TEST_URL, serversOnPostgres, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
let db: TestDatabase | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
  await db?.drop();
  db = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function delivered(server: TestServer, id: string): Promise<void> {
  await eventually(async () => ((await server.api(`/api/messaging/logs/${id}`)).body?.status === 'delivered' ? true : undefined), 20_000, 'delivered');
}

function statesOf(relay: RawRelay, id: string): string[] {
  return relay.events('messaging.state').filter((p) => p.message_id === id).map((p) => p.message_state as string);
}

/** Whether the cluster has forgotten the instance (another node adopted what it left). */
async function instanceGone(url: string, instanceId: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('select 1 from cluster_nodes where instance_id = $1', [instanceId])).rowCount === 0;
  } finally {
    await client.end();
  }
}

describe.skipIf(!serversOnPostgres || servicesOff)('RELAY sessions of a node that stops, resumed on another node', () => {
  it('resume from where they left: no state again, and what came meanwhile (states, an inbound message) once', async () => {
    db = await createTestDatabase();
    const prefix = `sbhandoff-${randomBytes(4).toString('hex')}`;
    const common = { databaseUrl: db.url, databasePoolSize: 4, natsUrl: NATS_TEST_URL, natsSubjectPrefix: prefix, clusterHeartbeatMs: 250, clusterNodeTimeoutMs: 1000 };
    const a = await startTestServer({ ...common, nodeId: 'handoff-a' });
    const b = await startTestServer({ ...common, nodeId: 'handoff-b' });
    servers.push(a, b);
    const first = await RawRelay.connected(a.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const protocol = first.result.protocol as string;
    const before = await first.relay.call('messaging.send', { to_number: '+15557654101', from_number: NUMBERS[0], body: 'before the stop', context: 'default' });
    const had = before.result.message_id as string;
    await first.relay.waitForEvents('messaging.state', (p) => p.message_id === had && p.message_state === 'delivered', 1, 20_000);

    // Node A stops: its client is asked to come back later and its connection closes.
    await a.close();
    servers.splice(servers.indexOf(a), 1);
    await first.relay.closed();
    // Node B adopts what A left (its parked sessions are not forgotten: A handed them over).
    await eventually(async () => ((await instanceGone(db!.url, a.instanceId)) ? true : undefined), 10_000, 'node A adopted');

    // Meanwhile: a message of the session's context is delivered, and one comes in.
    const sender = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN);
    const away = await sender.relay.call('messaging.send', { to_number: '+15557654102', from_number: NUMBERS[0], body: 'while away', context: 'default' });
    const missed = away.result.message_id as string;
    await delivered(b, missed);
    const inbound = await b.api('/api/simulator/inbound', { body: { from: '+15557652101', to: NUMBERS[1], body: 'came in while away' } });
    expect(inbound.status).toBeLessThan(300);

    const back = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(back.result).toMatchObject({ protocol, session_restored: true });
    await back.relay.waitForEvents('messaging.receive', (p) => p.body === 'came in while away', 1);
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === missed && p.message_state === 'delivered', 1);
    await back.relay.call('signalwire.ping', {});
    // The message it had to the end: nothing again. The one it missed: its last state, once.
    expect(statesOf(back.relay, had)).toEqual([]);
    expect(statesOf(back.relay, missed)).toEqual(['delivered']);
    expect(back.relay.events('messaging.receive').filter((p) => p.body === 'came in while away')).toHaveLength(1);
    await back.relay.close();
    await sender.relay.close();
  });
});

describe('RELAY sessions of a node that restarts', () => {
  it('resume on the next process from where they left: no state again, and what came meanwhile once', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-handoff-'));
    const node = await startTestServer({}, { dataDir });
    servers.push(node);
    const first = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const protocol = first.result.protocol as string;
    const before = await first.relay.call('messaging.send', { to_number: '+15557654103', from_number: NUMBERS[0], body: 'before the restart', context: 'default' });
    const had = before.result.message_id as string;
    await first.relay.waitForEvents('messaging.state', (p) => p.message_id === had && p.message_state === 'delivered', 1, 20_000);
    // A stop, as a deploy's (close, not stop: the data stays for the next process).
    await node.close();
    servers.splice(0);
    await first.relay.closed();
    const next = await startTestServer({}, { dataDir });
    servers.push(next);

    const sender = await RawRelay.connected(next.url, PROJECT_ID, API_TOKEN);
    const away = await sender.relay.call('messaging.send', { to_number: '+15557654104', from_number: NUMBERS[0], body: 'while away', context: 'default' });
    const missed = away.result.message_id as string;
    await delivered(next, missed);
    const inbound = await next.api('/api/simulator/inbound', { body: { from: '+15557652102', to: NUMBERS[1], body: 'came in during the restart' } });
    expect(inbound.status).toBeLessThan(300);

    const back = await RawRelay.connected(next.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(back.result).toMatchObject({ protocol, session_restored: true });
    await back.relay.waitForEvents('messaging.receive', (p) => p.body === 'came in during the restart', 1);
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === missed && p.message_state === 'delivered', 1);
    await back.relay.call('signalwire.ping', {});
    expect(statesOf(back.relay, had)).toEqual([]);
    expect(statesOf(back.relay, missed)).toEqual(['delivered']);
    expect(back.relay.events('messaging.receive').filter((p) => p.body === 'came in during the restart')).toHaveLength(1);
    await back.relay.close();
    await sender.relay.close();
  });
});

describe('RELAY sessions of a node that stops, whose client does not answer', () => {
  it('are handed over all the same once their connection is cut, their unacknowledged events kept', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-handoff-'));
    const node = await startTestServer({}, { dataDir });
    servers.push(node);
    const first = await RawRelay.connected(node.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const protocol = first.result.protocol as string;
    // From now on the client answers nothing: no ack, and not the server's signalwire.disconnect.
    first.relay.autoAck = false;
    const sent = await first.relay.call('messaging.send', { to_number: '+15557654105', from_number: NUMBERS[0], body: 'never acked', context: 'default' });
    const id = sent.result.message_id as string;
    await first.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1, 20_000);
    // The stop waits 2 s for the answer, then cuts the connection.
    await node.close();
    servers.splice(0);
    const next = await startTestServer({}, { dataDir });
    servers.push(next);
    const back = await RawRelay.connected(next.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(back.result).toMatchObject({ protocol, session_restored: true });
    // Replayed as kept (the client may have them: their frame ids tell), ending with the last state.
    const replayed = await back.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1);
    expect(replayed).toHaveLength(1);
    await back.relay.close();
  });
});
