/**
 * Durability over SMPP: the built server, bound to an SMSC in this process (the simulator's, outside
 * the server so it outlives it), is killed with SIGKILL while single-part, long GSM-7 and long UCS-2
 * messages are in flight on the bind, and restarted on the same data. Every message whose 201
 * reached the client ends `delivered` with its callbacks in order, and the SMSC got every part of
 * its text, each copy the same (at least once: a message is sent again whole when the kill came
 * before its parts were recorded).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorSmsc } from '../src/carriers/simulator/smsc/smsc-server.js';
import { crashTestEnv, freePort, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { basicAuth, eventually } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const PROJECT = 'c0ffee00-3333-4444-8555-666677778888';
const TOKEN = 'PTsmppCrashTestToken0000000000000000000000000000';
const auth = basicAuth(PROJECT, TOKEN);
const WINDOW = 10;

let port: number;
let base: string;
let dataDir: string;
let smsc: SimulatorSmsc;
let receiver: WebhookReceiver;
let server: ChildProcess | undefined;
let database: TestDatabase | undefined;

async function start(): Promise<ChildProcess> {
  const { child } = await startBuiltServer({
    port,
    timeoutMs: 15_000,
    args: ['--config', join(dataDir, 'switchboard.json')],
    env: {
      ...crashTestEnv({ dataDir: join(dataDir, 'data'), project: PROJECT, token: TOKEN, database }),
      SWITCHBOARD_MAX_CONNECTIONS_PER_ADDRESS: '5000',
      SWITCHBOARD_WEBHOOK_RETRY_BASE_MS: '50',
      SWITCHBOARD_WEBHOOK_RETRY_MAX_MS: '200',
      // At full speed: a long code's default rate is 1 segment/s.
      SWITCHBOARD_SENDER_RATES: 'longcode=0,toll-free=0,shortcode=0',
    },
  });
  return child;
}

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-smpp-crash-'));
  receiver = await startWebhookReceiver();
  if (serversOnPostgres) database = await createTestDatabase();
  smsc = new SimulatorSmsc(
    { host: '127.0.0.1', port: 0, systemId: 'switchboard', password: 'secret', maxBinds: 8, submitIdFormat: 'decimal', receiptIdFormat: 'decimal' },
    { rules: { getSettings: () => ({ delayMs: 20, delayedReceiptMs: 1000, rules: [] }) }, logger: { info() {}, warn() {}, error() {} }, now: Date.now },
  );
  await smsc.start();
  writeFileSync(
    join(dataDir, 'switchboard.json'),
    JSON.stringify({
      smpp: {
        connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'switchboard', password: 'secret', window: WINDOW, throughput: 0, reconnectMinMs: 50, reconnectMaxMs: 200 }],
        routes: [{ prefix: '+44', connector: 'smsc' }],
      },
    }),
  );
});
afterAll(async () => {
  server?.kill('SIGKILL');
  await receiver?.close();
  await smsc?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const bodies = [(i: number) => `short ${i}`, (i: number) => `long ${i} ${'gsm text '.repeat(30)}`, (i: number) => `ucs ${i} ${'😀 ü '.repeat(40)}`];

describe.skipIf(!serverIsBuilt)('a server killed with SIGKILL while SMPP parts are in flight', () => {
  it('delivers every accepted message, every part at least once, with its callbacks', async () => {
    server = await start();
    const accepted = new Map<string, { to: string; body: string }>();
    let killed = false;
    const sender = async (n: number) => {
      for (let i = 0; !killed; i++) {
        const to = `+44770${String(n).padStart(2, '0')}${String(i).padStart(5, '0')}`;
        const body = bodies[i % bodies.length]!(i);
        try {
          const res = await fetch(`${base}/api/messaging/messages`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json' },
            body: JSON.stringify({ from: '+15551230001', to, body, status_callback: `${receiver.url}/cb` }),
          });
          if (res.status === 201) accepted.set(((await res.json()) as { id: string }).id, { to, body });
        } catch {
          // cut by the kill
        }
      }
    };
    const senders = Array.from({ length: 8 }, (_, n) => sender(n));
    await eventually(() => (accepted.size >= 150 ? true : undefined), 30_000, '150 accepted messages');
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGKILL');
    await exited;
    killed = true;
    await Promise.all(senders);
    server = await start();

    const statusOf = async (id: string) => ((await (await fetch(`${base}/api/messaging/logs/${id}`, { headers: { authorization: auth } })).json()) as { status: string }).status;
    let last = '';
    await eventually(
      async () => {
        const ids = [...accepted.keys()];
        const st = await Promise.all(ids.map(statusOf));
        const wrong = ids.filter((_, k) => st[k] !== 'delivered');
        last = wrong.slice(0, 5).map((id) => `${id} ${st[ids.indexOf(id)]}`).join('; ');
        return wrong.length === 0 ? true : undefined;
      },
      60_000,
      'every accepted message delivered',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });

    await eventually(
      () => {
        const seen = new Map<string, string[]>();
        for (const r of receiver.requests) {
          const id = r.json?.id as string | undefined;
          if (!id || !accepted.has(id)) continue;
          const list = seen.get(id) ?? [];
          if (!list.includes(r.json.status)) list.push(r.json.status);
          seen.set(id, list);
        }
        return [...accepted.keys()].every((id) => seen.get(id)?.join() === 'queued,initiated,sent,delivered') ? true : undefined;
      },
      60_000,
      'every callback delivered',
    );

    // What the SMSC got, by destination (one message each): every part of the text, each part once but for those in flight at the kill.
    const byTo = new Map<string, Map<number, string[]>>();
    for (const s of smsc.submissions()) {
      const parts = byTo.get(s.to) ?? new Map<number, string[]>();
      const seq = s.concat?.seq ?? 1;
      parts.set(seq, [...(parts.get(seq) ?? []), s.text]);
      byTo.set(s.to, parts);
    }
    let duplicates = 0;
    let duplicated = 0;
    for (const { to, body } of accepted.values()) {
      const parts = byTo.get(to);
      expect(parts, `submissions to ${to}`).toBeDefined();
      const text = [...parts!.keys()].sort((a, b) => a - b).map((k) => parts!.get(k)![0]).join('');
      expect(text).toBe(body);
      for (const copies of parts!.values()) {
        duplicates += copies.length - 1;
        expect(new Set(copies).size).toBe(1);
      }
      if ([...parts!.values()].some((copies) => copies.length > 1)) duplicated++;
    }
    process.stdout.write(`smpp crash: ${accepted.size} accepted, ${smsc.submissions().length} parts submitted, ${duplicates} sent twice, of ${duplicated} messages\n`);
    // Sent twice (at least once, docs/carriers/smpp.md): only messages with a part the SMSC accepted
    // and whose record had not committed at the kill — how many depends on the database's write
    // latency, so it is reported, not bounded here. A retry whose parts were all recorded is not sent
    // again (smpp-retry-accepted.test.ts).
    expect(duplicated).toBeLessThan(accepted.size);
  }, 180_000);
});
