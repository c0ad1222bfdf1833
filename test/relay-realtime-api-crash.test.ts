/**
 * `@signalwire/realtime-api` across a crash: its server is killed (SIGKILL) and restarted on the same
 * database while the client cannot reach it; a message of its topic is delivered and one comes in
 * meanwhile. The client reconnects by itself with its protocol and is resumed from its session's
 * checkpoint: `onMessageReceived` fires once for the message that came in while it was away and
 * `onMessageUpdated` once for the other's last state, and nothing it had before the kill fires again.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SignalWire } from '@signalwire/realtime-api';
import { crashTestEnv, freePort, killNow, readServerRows, serverIsBuilt, startBuiltServer } from '../packages/server/test/helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, servicesOff, type TestDatabase } from '../packages/server/test/helpers/postgres.js';
import { RawRelay } from '../packages/server/test/helpers/raw-relay.js';
import { eventually } from '../packages/server/test/helpers/server.js';
import { TcpLink } from '../packages/server/test/helpers/tcp-link.js';

const PROJECT = 'c0ffee00-6666-4666-8666-555566667777';
const TOKEN = 'PTrealtimeCrashToken0000000000000000000000000';
const NUMBER = '+15551230001';
const auth = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}`;

let child: ChildProcess | undefined;
let db: TestDatabase | undefined;
let link: TcpLink | undefined;
let client: Awaited<ReturnType<typeof SignalWire>> | undefined;
const dir = mkdtempSync(join(tmpdir(), 'switchboard-rt-crash-'));

afterAll(async () => {
  await client?.disconnect().catch(() => undefined);
  await link?.down();
  await killNow(child);
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(base: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: auth, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return res.json();
}

/** The keys the one saved checkpoint says its client had (there is one RELAY session). */
async function checkpointed(): Promise<string[]> {
  const rows = await readServerRows<{ params: string }>({ dataDir: dir, database: db }, "select params from relay_parked_events where protocol like 'checkpoint:%' and key = 'had'");
  return rows.flatMap((r) => JSON.parse(r.params) as string[]);
}

describe.skipIf(!serverIsBuilt || (serversOnPostgres && servicesOff))('@signalwire/realtime-api when its server is killed', () => {
  it('gets what it missed once, and nothing it had again, after the restart', async () => {
    if (serversOnPostgres) db = await createTestDatabase();
    const port = await freePort();
    const env = { ...crashTestEnv({ dataDir: dir, project: PROJECT, token: TOKEN, database: db }) };
    const start = async () => {
      const node = await startBuiltServer({ port, env });
      child = node.child;
      return node.base;
    };
    const base = await start();
    link = new TcpLink({ host: '127.0.0.1', port });
    await link.up();
    client = await SignalWire({ project: PROJECT, token: TOKEN, host: `ws://127.0.0.1:${link.port}`, logLevel: 'silent' } as any);
    const updates: Array<{ id: string; state: string }> = [];
    const received: Array<{ body: string }> = [];
    await client.messaging.listen({ topics: ['default'], onMessageUpdated: (m: any) => updates.push(m), onMessageReceived: (m: any) => received.push(m) });
    const had = (await client.messaging.send({ from: NUMBER, to: '+15557657001', body: 'before the kill', context: 'default' })).messageId;
    await eventually(() => (updates.some((m) => m.id === had && m.state === 'delivered') ? true : undefined), 20_000, 'delivered before the kill');
    await api(base, '/api/simulator/inbound', { from: '+15557659101', to: NUMBER, body: 'came in before the kill' });
    await eventually(() => (received.some((m) => m.body === 'came in before the kill') ? true : undefined), 20_000, 'received before the kill');
    await eventually(async () => ((await checkpointed()).includes(`${had}:delivered`) && (await checkpointed()).some((k) => k.endsWith(':received')) ? true : undefined), 10_000, 'the checkpoint');

    // Killed; the client cannot reach the restarted server until the link is back.
    await killNow(child);
    await link.down();
    const restarted = await start();
    const other = await RawRelay.connected(restarted, PROJECT, TOKEN);
    const missed = (await other.relay.call('messaging.send', { to_number: '+15557657002', from_number: NUMBER, body: 'while away', context: 'default' })).result.message_id as string;
    await eventually(async () => ((await api(restarted, `/api/messaging/logs/${missed}`)).status === 'delivered' ? true : undefined), 20_000, 'delivered while away');
    await api(restarted, '/api/simulator/inbound', { from: '+15557659102', to: NUMBER, body: 'came in while away' });
    await other.relay.close();

    await link.up();
    await eventually(() => (received.some((m) => m.body === 'came in while away') && updates.some((m) => m.id === missed) ? true : undefined), 30_000, 'what it missed');
    // A round trip after the replay: anything repeated in it has arrived too.
    await client.messaging.send({ from: NUMBER, to: '+15557657003', body: 'after', context: 'elsewhere' });
    expect(updates.filter((m) => m.id === had).map((m) => m.state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(updates.filter((m) => m.id === missed).map((m) => m.state)).toEqual(['delivered']);
    expect(received.map((m) => m.body)).toEqual(['came in before the kill', 'came in while away']);
  }, 120_000);
});
