/**
 * Two nodes on one PostgreSQL database and NATS, one of them reaching NATS through a `TcpLink`
 * that a test takes down and brings back: a node cut off from the bus while the other goes on.
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase, NATS_TEST_URL, type TestDatabase } from './postgres.js';
import { eventually, startTestServer, type TestServer } from './server.js';
import { TcpLink } from './tcp-link.js';
import type { SwitchboardSettings } from '../../src/config/settings.js';

export interface NatsGapPair {
  readonly db: TestDatabase;
  /** The linked node's way to NATS. */
  readonly link: TcpLink;
  /** In start order: `a` first, then `b`. */
  readonly nodes: readonly [TestServer, TestServer];
  /** Take the link down and wait until the linked node reports NATS gone. */
  cutOff(): Promise<void>;
  /** Bring the link back and wait until the linked node reports NATS up. */
  backOn(): Promise<void>;
  /** Stop both nodes, the link and the database. */
  stop(): Promise<void>;
}

/** Whether `node`'s readiness reports NATS up (undefined when it has no NATS check). */
export async function natsUp(node: TestServer): Promise<boolean | undefined> {
  return ((await node.api('/ready', { auth: null })).body as { checks: { nats?: { ok: boolean } } }).checks.nats?.ok;
}

/**
 * Start nodes `${name}-a` and `${name}-b` (a with `aRoles` if given) on a new database; the node
 * named by `linked` reaches NATS through the link.
 */
export async function startNatsGapPair(name: string, linked: 'a' | 'b', aRoles?: SwitchboardSettings['roles']): Promise<NatsGapPair> {
  const db = await createTestDatabase();
  const link = TcpLink.to(NATS_TEST_URL);
  await link.up();
  const prefix = `sb${name}-${randomBytes(4).toString('hex')}`;
  const natsUrl = (node: 'a' | 'b') => (node === linked ? link.via(NATS_TEST_URL) : NATS_TEST_URL);
  const a = await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, nodeId: `${name}-a`, ...(aRoles ? { roles: aRoles } : {}), natsUrl: natsUrl('a'), natsSubjectPrefix: prefix });
  const b = await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, nodeId: `${name}-b`, natsUrl: natsUrl('b'), natsSubjectPrefix: prefix });
  const watched = linked === 'a' ? a : b;
  return {
    db,
    link,
    nodes: [a, b],
    cutOff: async () => {
      await link.down();
      await eventually(async () => ((await natsUp(watched)) === false ? true : undefined), 10_000, `node ${linked} to see NATS gone`);
    },
    backOn: async () => {
      await link.up();
      await eventually(async () => ((await natsUp(watched)) === true ? true : undefined), 10_000, `node ${linked} back on NATS`);
    },
    stop: async () => {
      await link.up();
      for (const n of [a, b]) await n.stop();
      await link.down();
      await db.drop();
    },
  };
}
