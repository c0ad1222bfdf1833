/**
 * A RELAY session parked on node A, resumed on node B and parked again there (its client dropped
 * twice) is node B's. Node A still listed its own, long-claimed park: crowding it out for a new
 * park of the project (`relay.maxSessionsPerProject`), it deleted node B's rows, and the client,
 * back on node B, found nothing (`session_restored: false`, what it missed gone).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { createTestDatabase, NATS_TEST_URL, serversOnNats, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
let db: TestDatabase | undefined;
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  await db?.drop();
  db = undefined;
});

/** Which node's park of `protocol` is stored, once its connection has dropped there. */
async function parkedBy(server: TestServer, protocol: string): Promise<string | undefined> {
  const row = await (server.store as KyselyStore).db.selectFrom('relay_parked_sessions').select('instance_id').where('protocol', '=', protocol).executeTakeFirst();
  return row?.instance_id;
}

/** Cut `relay`'s connection on `server`, wait for the session's park to be stored (by another node than `before`'s), and say by which node. */
async function cutAndParked(server: TestServer, relay: RawRelay, protocol: string, before?: string): Promise<string> {
  await relay.cut();
  await eventually(() => (server.relay.registry.get(protocol) ? undefined : true), 5_000, 'the session parked');
  return eventually(async () => {
    const by = await parkedBy(server, protocol);
    return by !== undefined && by !== before ? by : undefined;
  }, 5_000, 'the park stored');
}

describe.runIf(serversOnPostgres && serversOnNats)('a RELAY session parked again on another node', () => {
  it('is not deleted by the node that parked it first, crowding out its old park', async () => {
    db = await createTestDatabase();
    const prefix = `sbagain-${randomBytes(4).toString('hex')}`;
    const common = { databaseUrl: db.url, databasePoolSize: 4, natsUrl: NATS_TEST_URL, natsSubjectPrefix: prefix };
    const a = await startTestServer({ ...common, nodeId: 'again-a', relayMaxSessionsPerProject: 1 });
    servers.push(a);
    const b = await startTestServer({ ...common, nodeId: 'again-b' });
    servers.push(b);

    const first = await RawRelay.connected(a.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const protocol = first.result.protocol as string;
    const byA = await cutAndParked(a, first.relay, protocol);
    const moved = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(moved.result).toMatchObject({ protocol, session_restored: true });
    await cutAndParked(b, moved.relay, protocol, byA);

    // Another client of the project parks on node A, which keeps one parked session of it.
    const other = await RawRelay.connected(a.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await cutAndParked(a, other.relay, other.result.protocol as string);

    const inbound = await b.api('/api/simulator/inbound', { body: { from: '+15557653000', to: NUMBERS[1], body: 'while parked on B'} });
    expect(inbound.status).toBe(201);
    const back = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN, { protocol });
    try {
      expect(back.result).toMatchObject({ protocol, session_restored: true });
      await back.relay.waitForEvents('messaging.receive', (p) => p.body === 'while parked on B', 1);
    } finally {
      await back.relay.close();
    }
  }, 30_000);
});
