/**
 * The built server killed with SIGKILL while its SMSC holds a full window of submit_sm unanswered
 * (an SMSC that took the parts but whose answers never came), then restarted once the SMSC answers
 * again. Every message whose 201 reached the client ends `delivered`: those in the window are sent
 * again (at least once, docs/carriers/smpp.md), none stays `initiated` and none is lost.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePdu } from '../src/carriers/smpp/pdu/codec.js';
import { crashTestEnv, freePort, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { closeSmscs, deliveredReceipt, smscServer } from './helpers/scripted-smsc.js';
import { basicAuth, eventually } from './helpers/server.js';

const PROJECT = 'c0ffee00-3333-4444-8555-666677779999';
const TOKEN = 'PTsmppStallCrashToken000000000000000000000000000';
const auth = basicAuth(PROJECT, TOKEN);
const WINDOW = 5;

let port: number;
let base: string;
let dataDir: string;
let server: ChildProcess | undefined;
let database: TestDatabase | undefined;
let stalled = true;
/** submit_sm bodies the SMSC took, by destination (held ones too: their answers were lost). */
const taken = new Map<string, number>();
let held = 0;
let smscPort: number;

async function start(): Promise<ChildProcess> {
  const { child } = await startBuiltServer({
    port,
    timeoutMs: 15_000,
    args: ['--config', join(dataDir, 'switchboard.json')],
    env: { ...crashTestEnv({ dataDir: join(dataDir, 'data'), project: PROJECT, token: TOKEN, database }), SWITCHBOARD_SENDER_RATES: 'longcode=0,toll-free=0,shortcode=0' },
  });
  return child;
}

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-smpp-stall-crash-'));
  if (serversOnPostgres) database = await createTestDatabase();
  let ids = 0;
  let seq = 5000;
  smscPort = await smscServer((pdu, reply, socket: Socket) => {
    if (pdu.command.startsWith('bind_')) return reply({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status: 0, systemId: 'SMSC', tlvs: [] });
    if (pdu.command === 'enquire_link') return reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
    if (pdu.command !== 'submit_sm') return;
    taken.set(pdu.destination.addr, (taken.get(pdu.destination.addr) ?? 0) + 1);
    if (stalled) return void held++;
    const id = `S${++ids}`;
    reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: 0, messageId: id, tlvs: [] });
    setTimeout(() => socket.destroyed || socket.write(encodePdu(deliveredReceipt(id, ++seq))), 10);
  });
  writeFileSync(
    join(dataDir, 'switchboard.json'),
    JSON.stringify({
      smpp: {
        // A response timeout and stall limit longer than the test: the window stays outstanding until the kill.
        connectors: [{ id: 'smsc', host: '127.0.0.1', port: smscPort, systemId: 'sw', password: 'pw', window: WINDOW, throughput: 0, responseTimeoutMs: 120_000, stalledAfterMs: 120_000, reconnectMinMs: 50, reconnectMaxMs: 200 }],
        routes: [{ prefix: '+44', connector: 'smsc' }],
      },
    }),
  );
});
afterAll(async () => {
  server?.kill('SIGKILL');
  await closeSmscs();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!serverIsBuilt)('a server killed with SIGKILL while its SMSC holds a window unanswered', () => {
  it('delivers every accepted message after the restart, those in the window sent again', async () => {
    server = await start();
    const accepted: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${base}/api/messaging/messages`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ from: '+15551230001', to: `+4477009044${String(i).padStart(2, '0')}`, body: `stalled ${i}` }),
      });
      expect(res.status).toBe(201);
      accepted.push(((await res.json()) as { id: string }).id);
    }
    // As many as the dispatcher has batches in flight (`dispatcher.concurrency`, 4): each message came alone.
    await eventually(() => (held >= 4 ? true : undefined), 10_000, 'submits held by the SMSC').catch((err: Error) => {
      throw new Error(`${err.message}: held ${held}, statuses ${JSON.stringify([...taken])}`);
    });
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGKILL');
    await exited;
    stalled = false;
    server = await start();

    const statusOf = async (id: string) => ((await (await fetch(`${base}/api/messaging/logs/${id}`, { headers: { authorization: auth } })).json()) as { status: string }).status;
    let last = '';
    await eventually(
      async () => {
        const st = await Promise.all(accepted.map(statusOf));
        last = st.join(',');
        return st.every((s) => s === 'delivered') ? true : undefined;
      },
      30_000,
      'every accepted message delivered',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
    // Each destination got its message; those held in the window at the kill twice, the rest once.
    const copies = [...taken.values()];
    expect(copies).toHaveLength(12);
    expect(copies.filter((n) => n === 2)).toHaveLength(held);
    expect(copies.every((n) => n === 1 || n === 2)).toBe(true);
  }, 90_000);
});
