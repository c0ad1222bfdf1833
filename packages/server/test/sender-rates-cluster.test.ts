/**
 * A sender's rate holds when two nodes share the PostgreSQL database and both dispatch: each claim
 * reserves the sender's next slots from the shared `sender_slots` row it locks, so six messages of
 * a 2 msgs/s sender, three accepted by each node, are handed over at least 2.5 s apart in all.
 * PostgreSQL pass only (SQLite is one node's own).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEnd } from './helpers/messages.js';
import { createTestDatabase, NATS_TEST_URL, serversOnNats, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { phoneNumberId } from './helpers/projects.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

describe.runIf(serversOnPostgres)('per-sender rate across two nodes', () => {
  let db: TestDatabase;
  const nodes: TestServer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const bus = serversOnNats ? { natsUrl: NATS_TEST_URL, natsSubjectPrefix: `sbrate-${randomBytes(4).toString('hex')}` } : {};
    for (const nodeId of ['rate-a', 'rate-b']) nodes.push(await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, nodeId, ...bus }));
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await db.drop();
  });

  it('hands a 2 msgs/s sender’s six messages over at least 2.5 s apart end to end, whichever node claims them', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const put = await a.api(`/api/relay/rest/phone_numbers/${await phoneNumberId(a, NUMBERS[0]!)}`, { method: 'PUT', body: { messages_per_second: 2 } });
    expect(put.status, put.text).toBe(200);
    const send = async (node: TestServer, i: number) => {
      const res = await node.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+1555710${String(i).padStart(4, '0')}`, body: `two nodes ${i}` } });
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    const ids = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => send(i % 2 ? b : a, i)));
    for (const id of ids) await waitForEnd(a, id, 20_000);
    // `initiated` is recorded by the claim that released the message, at or after its slot.
    const released: number[] = [];
    for (const id of ids) {
      const events = await a.store.events.listForMessage(PROJECT_ID, id);
      released.push(events.find((e) => e.status === 'initiated')!.at);
    }
    released.sort((x, y) => x - y);
    expect(released.at(-1)! - released[0]!).toBeGreaterThanOrEqual(2_500);
  });
});
