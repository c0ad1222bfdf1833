/**
 * A RELAY session parked (its connection dropped) when its API token is revoked: it used to keep
 * collecting its project's events, message texts included, until its resume window ended, and
 * another token of the project could resume it. Now revocation ends it where it is parked (in
 * memory, or in the database on whichever node parked it), and a claim checks the token itself.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryResumeStore } from '../src/relay/in-memory-resume-store.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { createTestDatabase, NATS_TEST_URL, serversOnNats, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { projectService } from './helpers/projects.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { TcpLink } from './helpers/tcp-link.js';

const servers: TestServer[] = [];
let db: TestDatabase | undefined;
let link: TcpLink | undefined;
afterEach(async () => {
  await link?.up();
  for (const s of servers.splice(0)) await s.stop();
  await link?.down();
  link = undefined;
  await db?.drop();
  db = undefined;
});

/** A new token of the configured project, once every node accepts it (their credential caches may predate it). */
async function newToken(...nodes: TestServer[]): Promise<{ id: string; token: string }> {
  const issued = await projectService(nodes[0]!).issueToken(PROJECT_ID, { name: 'to revoke', scopes: ['messaging'] });
  nodes[0]!.bus.publish('credentials.changed', { projectId: PROJECT_ID });
  for (const node of nodes) {
    await eventually(async () => {
      const relay = await RawRelay.open(node.url);
      const res = await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, authentication: { project: PROJECT_ID, token: issued.token } });
      await relay.close();
      return res.error ? undefined : true;
    }, 5_000, 'the new token accepted');
  }
  return { id: issued.record.id, token: issued.token };
}

/** Connect with `token`, then drop the connection: the session is parked. */
async function parkedSession(server: TestServer, token: string): Promise<string> {
  const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, token, { contexts: ['default'] });
  await relay.cut();
  await eventually(() => (server.relay.registry.get(result.protocol) ? undefined : true), 5_000, 'the session parked');
  await eventually(async () => ((await isParked(server, result.protocol)) ? true : undefined), 5_000, 'the session stored');
  return result.protocol as string;
}

/** Whether the resume store still holds the session (in memory, or its row in the database). */
async function isParked(server: TestServer, protocol: string): Promise<boolean> {
  const { resume } = server.relay;
  if (resume instanceof InMemoryResumeStore) return resume.has(protocol);
  const rows = await (server.store as KyselyStore).db.selectFrom('relay_parked_sessions').select('protocol').where('protocol', '=', protocol).execute();
  return rows.length > 0;
}

describe('revoking the token of a parked RELAY session', () => {
  it('ends the session where it is parked: it collects no more events and cannot be resumed', async () => {
    const server = await startTestServer();
    servers.push(server);
    const revocable = await newToken(server);
    const protocol = await parkedSession(server, revocable.token);
    expect(await projectService(server).revokeToken(PROJECT_ID, revocable.id)).toBe(true);
    // As a revocation is announced on a bus the server shares.
    server.bus.publish('credentials.changed', { projectId: PROJECT_ID });
    await eventually(async () => ((await isParked(server, protocol)) ? undefined : true), 5_000, 'the parked session ended');
    const inbound = await server.api('/api/simulator/inbound', { body: { from: '+15557653000', to: NUMBERS[1], body: 'after the revocation' } });
    expect(inbound.status).toBe(201);
    // Another token of the project starts afresh, without the events.
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(back.result).toMatchObject({ session_restored: false });
    expect(JSON.stringify(back.relay.frames)).not.toContain('after the revocation');
    await back.relay.close();
  });
});

describe.runIf(serversOnPostgres && serversOnNats)('revoking the token of a session parked on another node', () => {
  async function twoNodes(): Promise<[TestServer, TestServer]> {
    db = await createTestDatabase();
    link = TcpLink.to(NATS_TEST_URL);
    await link.up();
    const prefix = `sbparked-${randomBytes(4).toString('hex')}`;
    // Node a reaches NATS through the link, so a test can keep an announcement from it.
    servers.push(await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, nodeId: 'parked-a', natsUrl: link.via(NATS_TEST_URL), natsSubjectPrefix: prefix }));
    servers.push(await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, nodeId: 'parked-b', natsUrl: NATS_TEST_URL, natsSubjectPrefix: prefix }));
    return servers as [TestServer, TestServer];
  }

  it('ends it on the node that parked it when another node announces the revocation', async () => {
    const [a, b] = await twoNodes();
    const revocable = await newToken(b, a);
    const protocol = await parkedSession(a, revocable.token);
    expect(await projectService(b).revokeToken(PROJECT_ID, revocable.id)).toBe(true);
    b.bus.publish('credentials.changed', { projectId: PROJECT_ID });
    // Node a heard it and deleted the session's rows: nothing is collected for it any more.
    await eventually(async () => ((await isParked(b, protocol)) ? undefined : true), 5_000, 'the stored session ended');
    const back = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(back.result).toMatchObject({ session_restored: false });
    await back.relay.close();
  }, 30_000);

  it('is not resumed on a node that heard of the revocation before the node that parked it did', async () => {
    const [a, b] = await twoNodes();
    const revocable = await newToken(b, a);
    const protocol = await parkedSession(a, revocable.token);
    await link!.down();
    expect(await projectService(b).revokeToken(PROJECT_ID, revocable.id)).toBe(true);
    b.bus.publish('credentials.changed', { projectId: PROJECT_ID });
    // Still stored (node a has not heard), but the claim checks the session's token.
    expect(await isParked(b, protocol)).toBe(true);
    const back = await RawRelay.connected(b.url, PROJECT_ID, API_TOKEN, { protocol });
    expect(back.result).toMatchObject({ session_restored: false });
    await back.relay.close();
  }, 30_000);
});
