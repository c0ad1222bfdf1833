/**
 * A server killed after the simulator's handsets received messages but before their receipts were
 * written: at the next start the simulator re-arms the receipts of every message still `sent`, and
 * the handsets must not receive those messages again — neither a phone's inbox entry nor, for a
 * message to one of the server's own numbers, a second inbound message (found by the fault
 * campaign: kill -9 mid-burst left up to one receipt delay's worth of messages twice in the inbox
 * and looped back twice).
 *
 * The kill is reproduced exactly: the messages are delivered, then put back to `sent` without their
 * `delivered` event (as the store was when the receipts had not been written), and the server is
 * restarted on the same data. Runs on both backends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

const PHONE = '+15557900001';

describe('receipts the simulator re-arms after a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const statusOf = async (s: TestServer, id: string) => (await s.api(`/api/messaging/logs/${id}`)).body.status as string;
  const inboxOf = async (s: TestServer) => (await s.api(`/api/simulator/messages?limit=1000`)).body.data as Array<{ message_id: string }>;
  const inboundTo = async (s: TestServer, to: string) =>
    ((await s.api(`/api/messaging/logs?page_size=1000`)).body.data as Array<{ direction: string; to: string; body: string }>).filter((m) => m.direction === 'inbound' && m.to === to);

  it('deliver each message to its handset once, loopbacks included', async () => {
    server = await startTestServer({}, { dataDir });
    const toPhone = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: PHONE, body: 'to a phone' } });
    const toOwn = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: NUMBERS[1], body: 'to our own number' } });
    expect([toPhone.status, toOwn.status]).toEqual([201, 201]);
    const ids = [toPhone.body.id as string, toOwn.body.id as string];
    for (const id of ids) await eventually(async () => ((await statusOf(server!, id)) === 'delivered' ? true : undefined), 10_000, 'delivered');
    await eventually(async () => ((await inboundTo(server!, NUMBERS[1]!)).length === 1 ? true : undefined), 10_000, 'the loopback stored');
    expect((await inboxOf(server)).filter((e) => e.message_id === toPhone.body.id)).toHaveLength(1);

    // The state a kill between the handsets' delivery and the receipts' write leaves behind.
    const db = (server.store as KyselyStore).db;
    await db.updateTable('messages').set({ status: 'sent' }).where('id', 'in', ids).execute();
    await db.deleteFrom('message_events').where('message_id', 'in', ids).where('status', '=', 'delivered').execute();
    // Closed, not stopped: on PostgreSQL `stop` would drop the database the restart reopens.
    await server.close();

    server = await startTestServer({}, { dataDir });
    for (const id of ids) await eventually(async () => ((await statusOf(server!, id)) === 'delivered' ? true : undefined), 10_000, 'delivered again after the restart');
    expect((await inboxOf(server)).filter((e) => e.message_id === toPhone.body.id)).toHaveLength(1);
    expect(await inboundTo(server, NUMBERS[1]!)).toHaveLength(1);
  });
});
