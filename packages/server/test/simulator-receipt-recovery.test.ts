/**
 * A server killed after the simulator's handsets received messages but before that was written
 * down — the receipts (the message still `sent`), or the submission's answer (still `initiated`,
 * its dispatch job leased): at the next start the simulator re-arms the receipts, or the job sends
 * the message again, and the handsets must not receive those messages a second time — neither a
 * phone's inbox entry nor, for a message to one of the server's own numbers, a second inbound
 * message. Found by the fault campaign: kill -9 mid-burst left up to one receipt delay's worth of
 * messages twice in the inbox and looped back twice.
 *
 * The kill is reproduced exactly: the messages are delivered, then put back to the state the store
 * was in at the kill, and the server is restarted on the same data. Runs on both backends.
 */
import type { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import type { Database } from '../src/store/schema.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const PHONE = '+15557900001';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const statusOf = async (s: TestServer, id: string) => (await s.api(`/api/messaging/logs/${id}`)).body.status as string;
const inboxOf = async (s: TestServer, id: string) => ((await s.api(`/api/simulator/messages?limit=1000`)).body.data as Array<{ message_id: string }>).filter((e) => e.message_id === id);
const inboundTo = async (s: TestServer, to: string) =>
  ((await s.api(`/api/messaging/logs?page_size=1000`)).body.data as Array<{ direction: string; to: string }>).filter((m) => m.direction === 'inbound' && m.to === to);
const delivered = (s: TestServer, id: string, what: string) => eventually(async () => ((await statusOf(s, id)) === 'delivered' ? true : undefined), 10_000, what);

/**
 * Send one message to a phone and one to our own number, let both be delivered, `rewind` the store
 * to the moment of the kill, restart, and check that each reached its handset once.
 */
async function killedAfterHandsets(rewind: (db: Kysely<Database>, ids: readonly string[], nodeId: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const first = await startTestServer({}, { dataDir });
  const toPhone = await first.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: PHONE, body: 'to a phone' } });
  const toOwn = await first.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: NUMBERS[1], body: 'to our own number' } });
  expect([toPhone.status, toOwn.status]).toEqual([201, 201]);
  const ids = [toPhone.body.id as string, toOwn.body.id as string];
  for (const id of ids) await delivered(first, id, 'delivered');
  await eventually(async () => ((await inboundTo(first, NUMBERS[1]!)).length === 1 ? true : undefined), 10_000, 'the loopback stored');
  expect(await inboxOf(first, ids[0]!)).toHaveLength(1);

  const nodeId = (await first.api('/ready', { auth: null })).body.node.nodeId as string;
  await rewind((first.store as KyselyStore).db, ids, nodeId);
  // Closed, not stopped: on PostgreSQL `stop` would drop the database the restart reopens.
  await first.close();

  const again = await startTestServer({}, { dataDir });
  cleanups.push(() => again.stop());
  for (const id of ids) await delivered(again, id, 'delivered again after the restart');
  expect(await inboxOf(again, ids[0]!)).toHaveLength(1);
  expect(await inboundTo(again, NUMBERS[1]!)).toHaveLength(1);
}

describe('a server killed after the simulated handsets received messages', () => {
  it('before their receipts were written: the re-armed receipts deliver nothing twice', async () => {
    await killedAfterHandsets(async (db, ids) => {
      await db.updateTable('messages').set({ status: 'sent' }).where('id', 'in', ids).execute();
      await db.deleteFrom('message_events').where('message_id', 'in', ids).where('status', '=', 'delivered').execute();
    });
  });

  it('before the submission’s answer was written: the message sent again is not delivered twice', async () => {
    await killedAfterHandsets(async (db, ids, nodeId) => {
      await db.updateTable('messages').set({ status: 'initiated', carrier: null, carrier_message_id: null, sent_at: null }).where('id', 'in', ids).execute();
      await db.deleteFrom('message_events').where('message_id', 'in', ids).where('status', 'in', ['sent', 'delivered']).execute();
      // Its dispatch job, leased to the node (as a new message's job is born) and sent once.
      const now = Date.now();
      await db
        .insertInto('jobs')
        .values(ids.map((id) => ({ kind: 'dispatch', project_id: PROJECT_ID, message_id: id, run_at: now + 30_000, attempts: 1, lease_owner: nodeId, created_at: now, carrier: null })))
        .execute();
    });
  });
});
