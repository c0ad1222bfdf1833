/**
 * Three nodes of the built server, each its own process, on loopback ports, sharing one PostgreSQL
 * database and one NATS server. Messages accepted by one node are dispatched by any; each SMPP
 * account is bound by one node at a time and fails over; a node killed with SIGKILL mid-burst loses
 * nothing accepted (every message ends delivered, its callbacks arrive), and the duplicate carrier
 * submissions it causes are counted and stay within the dead node's in-flight window.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorSmsc } from '../src/carriers/simulator/smsc/smsc-server.js';
import { freePort, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, NATS_TEST_URL, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { basicAuth, eventually } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const PROJECT = 'c0ffee00-2222-4333-8444-555566667777';
const TOKEN = 'PTmultiNodeTestToken000000000000000000000000000';
const FROM = '+15551230001';
const auth = basicAuth(PROJECT, TOKEN);
/** Dispatch batches are small so that every node gets a share of a burst. */
const BATCH = 10;
const CONCURRENCY = 2;
const SMPP_WINDOW = 10;

interface Node {
  readonly name: string;
  readonly port: number;
  readonly base: string;
  child: ChildProcess;
  instanceId: string;
}

let db: TestDatabase;
let sql: pg.Client;
let smsc: SimulatorSmsc;
let receiver: WebhookReceiver;
let configDir: string;
const nodes: Node[] = [];
const prefix = `sbmulti-${randomBytes(4).toString('hex')}`;

async function startNode(name: string): Promise<Node> {
  const port = await freePort();
  const { child, base, ready } = await startBuiltServer({
    port,
    name: `node ${name}`,
    args: ['--config', join(configDir, 'switchboard.json')],
    env: {
      SWITCHBOARD_DATABASE_URL: db.url,
      SWITCHBOARD_DATABASE_POOL_SIZE: '5',
      SWITCHBOARD_NATS_URL: NATS_TEST_URL,
      SWITCHBOARD_NATS_SUBJECT_PREFIX: prefix,
      SWITCHBOARD_NODE_ID: name,
      SWITCHBOARD_DATA_DIR: join(configDir, name),
      SWITCHBOARD_PROJECT_ID: PROJECT,
      SWITCHBOARD_API_TOKEN: TOKEN,
      SWITCHBOARD_NUMBERS: FROM,
      SWITCHBOARD_HTTPS: 'false',
      SWITCHBOARD_SIMULATOR_DELAY_MS: '100',
      SWITCHBOARD_LOG_LEVEL: 'error',
      SWITCHBOARD_DISPATCH_BATCH_SIZE: String(BATCH),
      SWITCHBOARD_DISPATCH_CONCURRENCY: String(CONCURRENCY),
      SWITCHBOARD_DISPATCH_LEASE_MS: '2000',
      SWITCHBOARD_WEBHOOK_LEASE_MS: '3000',
      SWITCHBOARD_WEBHOOK_RETRY_BASE_MS: '50',
      SWITCHBOARD_WEBHOOK_RETRY_MAX_MS: '200',
      SWITCHBOARD_CLUSTER_HEARTBEAT_MS: '400',
      SWITCHBOARD_CLUSTER_NODE_TIMEOUT_MS: '3000',
      // SMPP bursts at full speed: a long code's default rate is 1 segment/s.
      SWITCHBOARD_SENDER_RATES: 'longcode=0,toll-free=0,shortcode=0',
    },
  });
  const node = { name, port, base, child, instanceId: (ready as { node: { instanceId: string } }).node.instanceId };
  nodes.push(node);
  return node;
}

async function send(node: Node, to: string, body: string): Promise<string> {
  const res = await fetch(`${node.base}/api/messaging/messages`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ from: FROM, to, body, status_callback: `${receiver.url}/cb` }),
  });
  if (res.status !== 201) throw new Error(`send answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Statuses of messages, read from the shared database. */
async function statuses(ids: readonly string[]): Promise<Map<string, { status: string; carrier: string | null; carrierMessageId: string | null }>> {
  const { rows } = await sql.query<{ id: string; status: string; carrier: string | null; carrier_message_id: string | null }>('select id, status, carrier, carrier_message_id from messages where id = any($1)', [ids]);
  return new Map(rows.map((r) => [r.id, { status: r.status, carrier: r.carrier, carrierMessageId: r.carrier_message_id }]));
}

async function allDelivered(ids: readonly string[], timeoutMs = 30_000): Promise<void> {
  let summary = '';
  await eventually(
    async () => {
      const s = await statuses(ids);
      if (ids.every((id) => s.get(id)?.status === 'delivered')) return true;
      const stuck = new Map<string, number>();
      for (const id of ids) {
        const m = s.get(id);
        if (m?.status === 'delivered') continue;
        const key = `${m?.status ?? 'missing'}/${m?.carrier ?? '-'}/${m?.carrierMessageId?.slice(0, 16) ?? '-'}`;
        stuck.set(key, (stuck.get(key) ?? 0) + 1);
      }
      summary = [...stuck].map(([k, n]) => `${n}× ${k}`).slice(0, 8).join(', ');
      const notDone = ids.filter((id) => s.get(id)?.status !== 'delivered');
      const { rows } = await sql.query<{ message_id: string; status: string; n: string }>('select message_id, status, count(*) as n from carrier_parts where message_id = any($1) group by 1, 2', [notDone]);
      summary += `; their SMPP parts: ${rows.map((r) => `${r.message_id.slice(0, 8)} ${r.status}×${r.n}`).join(', ') || 'none'}`;
      return undefined;
    },
    timeoutMs,
    `${ids.length} messages delivered`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; not delivered: ${summary}`);
  });
}

async function smppOwner(): Promise<string | undefined> {
  const { rows } = await sql.query<{ owner: string }>(`select owner from cluster_leases where name = 'carrier:smsc' and expires_at > $1`, [Date.now()]);
  return rows[0]?.owner;
}

const ready = serverIsBuilt && !servicesOff;

beforeAll(async () => {
  if (!ready) return;
  db = await createTestDatabase();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  receiver = await startWebhookReceiver();
  smsc = new SimulatorSmsc(
    { host: '127.0.0.1', port: 0, systemId: 'switchboard', password: 'secret', maxBinds: 8, submitIdFormat: 'decimal', receiptIdFormat: 'decimal' },
    { rules: { getSettings: () => ({ delayMs: 50, delayedReceiptMs: 1000, rules: [] }) }, logger: { info() {}, warn() {}, error() {} }, now: Date.now },
  );
  await smsc.start();
  configDir = mkdtempSync(join(tmpdir(), 'switchboard-multi-'));
  writeFileSync(
    join(configDir, 'switchboard.json'),
    JSON.stringify({
      smpp: {
        connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'switchboard', password: 'secret', window: SMPP_WINDOW, throughput: 0, reconnectMinMs: 50, reconnectMaxMs: 200 }],
        routes: [{ prefix: '+44', connector: 'smsc' }],
      },
    }),
  );
  for (const name of ['node-a', 'node-b', 'node-c']) await startNode(name);
}, 90_000);

afterAll(async () => {
  for (const n of nodes) n.child.kill('SIGKILL');
  await Promise.all(nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? new Promise((r) => n.child.once('exit', r)) : undefined)));
  await sql?.end();
  await smsc?.stop();
  await receiver?.close();
  await db?.drop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

describe.skipIf(!ready)('three nodes sharing PostgreSQL and NATS', () => {
  it('dispatches messages accepted by one node from several nodes', async () => {
    const [a] = nodes;
    const ids = await Promise.all(Array.from({ length: 120 }, (_, i) => send(a!, `+1555710${String(i).padStart(4, '0')}`, `spread ${i}`)));
    await allDelivered(ids);
    const byInstance = new Map<string, number>();
    for (const s of (await statuses(ids)).values()) {
      const instance = /^SIM([0-9A-F]+)\./.exec(s.carrierMessageId ?? '')?.[1] ?? 'unknown';
      byInstance.set(instance, (byInstance.get(instance) ?? 0) + 1);
    }
    expect([...byInstance.keys()].every((i) => nodes.some((n) => n.instanceId === i))).toBe(true);
    expect(byInstance.size).toBeGreaterThanOrEqual(2);
  });

  it('brings a RELAY client on node B every state event and inbound message once, whichever node sent, dispatched or received, and resumes its session on node C', async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    const listener = await RawRelay.connected(b.base, PROJECT, TOKEN, { contexts: ['office', 'default'] });
    const sender = await RawRelay.connected(a.base, PROJECT, TOKEN);
    // Sent on node A over RELAY, to a context node B's client listens to.
    const sentIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await sender.relay.call('messaging.send', { to_number: `+1555730${String(i).padStart(4, '0')}`, from_number: FROM, body: `relay ${i}`, context: 'office' });
      expect(res.result?.code).toBe('200');
      sentIds.push(res.result.message_id as string);
    }
    // Inbound through node C's simulated handset, to a number whose context is `default`.
    const inbound = await fetch(`${c.base}/api/simulator/inbound`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ from: '+15557731000', to: FROM, body: 'to every node' }) });
    expect(inbound.status).toBeLessThan(300);
    await listener.relay.waitForEvents('messaging.state', (p) => sentIds.includes(p.message_id) && p.message_state === 'delivered', sentIds.length, 20_000);
    await listener.relay.waitForEvents('messaging.receive', (p) => p.body === 'to every node', 1, 10_000);
    // Let any duplicate arrive before counting.
    await new Promise((r) => setTimeout(r, 300));
    const states = listener.relay.events('messaging.state').filter((p) => sentIds.includes(p.message_id));
    const perState = new Map<string, number>();
    for (const p of states) perState.set(`${p.message_id}:${p.message_state}`, (perState.get(`${p.message_id}:${p.message_state}`) ?? 0) + 1);
    expect(perState.size).toBe(sentIds.length * 4);
    expect([...perState.values()].every((n) => n === 1)).toBe(true);
    for (const id of sentIds) expect(states.filter((p) => p.message_id === id).map((p) => p.message_state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(listener.relay.events('messaging.receive').filter((p) => p.body === 'to every node')).toHaveLength(1);
    const dispatchers = new Set([...(await statuses(sentIds)).values()].map((m) => /^SIM([0-9A-F]+)\./.exec(m.carrierMessageId ?? '')?.[1]));
    expect([...dispatchers].every((i) => nodes.some((n) => n.instanceId === i))).toBe(true);

    // The client's connection to node B drops; meanwhile more happens; it comes back on node C.
    const protocol = listener.result.protocol as string;
    await listener.relay.cut();
    await eventually(async () => {
      const { rows } = await sql.query('select 1 from relay_parked_sessions where protocol = $1', [protocol]);
      return rows.length ? true : undefined;
    }, 5_000, 'the session parked in the database');
    const missed = await sender.relay.call('messaging.send', { to_number: '+15557740001', from_number: FROM, body: 'while away', context: 'office' });
    const missedId = missed.result.message_id as string;
    await allDelivered([missedId]);
    // Node B appends what the parked session misses; give it its turn.
    await eventually(async () => {
      const { rows } = await sql.query<{ n: string }>('select count(*) as n from relay_parked_events where protocol = $1 and key like $2', [protocol, `${missedId}:%`]);
      return Number(rows[0]!.n) >= 4 ? true : undefined;
    }, 10_000, 'the missed events parked');
    const back = await RawRelay.connected(c.base, PROJECT, TOKEN, { protocol });
    expect(back.result).toMatchObject({ protocol, session_restored: true });
    const replayed = await back.relay.waitForEvents('messaging.state', (p) => p.message_id === missedId, 4, 10_000);
    expect(replayed.map((p) => p.message_state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    // Resumed with its contexts: new inbound messages reach it on node C.
    await fetch(`${a.base}/api/simulator/inbound`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ from: '+15557731001', to: FROM, body: 'after resume' }) });
    await back.relay.waitForEvents('messaging.receive', (p) => p.body === 'after resume', 1, 10_000);
    await back.relay.close();
    await sender.relay.close();
  });

  it('binds an SMPP account from exactly one node and sends through it whichever node accepted the message', async () => {
    await eventually(async () => ((await smppOwner()) && smsc.binds().length === 1 ? true : undefined), 10_000, 'one SMPP bind');
    const owner = await smppOwner();
    expect(nodes.map((n) => n.instanceId)).toContain(owner);
    const ids: string[] = [];
    for (const n of nodes) for (let i = 0; i < 10; i++) ids.push(await send(n, `+4470000${n.name.slice(-1).charCodeAt(0)}${String(i).padStart(3, '0')}`, `smpp via ${n.name}`));
    await allDelivered(ids);
    const s = await statuses(ids);
    expect([...s.values()].every((m) => m.carrier === 'smsc')).toBe(true);
    expect(smsc.binds()).toHaveLength(1);
  });

  it('loses nothing accepted when the node holding the SMPP bind is killed mid-burst, and fails the bind over', async () => {
    const owner = await smppOwner();
    const victim = nodes.find((n) => n.instanceId === owner)!;
    const survivors = nodes.filter((n) => n !== victim);
    const accepted = new Set<string>();
    let stop = false;
    let refused = 0;
    const sender = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const node = nodes[(n + i) % nodes.length]!;
        // A third of the burst goes to the SMPP account, the rest to the simulator.
        const to = i % 3 === 0 ? `+447100${String(n).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}` : `+1555720${String(n).padStart(2, '0')}${String(i % 100).padStart(2, '0')}`;
        try {
          accepted.add(await send(node, to, `burst ${n}/${i}`));
        } catch {
          refused++;
        }
      }
    };
    const senders = Array.from({ length: 12 }, (_, n) => sender(n));
    await eventually(() => (accepted.size >= 250 ? true : undefined), 30_000, '250 accepted messages');
    const exited = new Promise((r) => victim.child.once('exit', r));
    victim.child.kill('SIGKILL');
    await exited;
    // Keep sending to the survivors for a moment after the kill.
    const after = accepted.size;
    await eventually(() => (accepted.size >= after + 60 ? true : undefined), 30_000, 'messages accepted after the kill');
    stop = true;
    await Promise.all(senders);
    const ids = [...accepted];

    // The bind moves to a survivor; every accepted message ends delivered.
    await eventually(async () => {
      const o = await smppOwner();
      return o && o !== owner && survivors.some((n) => n.instanceId === o) ? true : undefined;
    }, 20_000, 'the SMPP bind on a survivor');
    await allDelivered(ids, 60_000);
    expect(smsc.binds()).toHaveLength(1);

    // Every accepted message's callbacks arrive, first occurrences in lifecycle order.
    let lastWrong = '';
    let lastWrongId: string | undefined;
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
        const wrong = ids.filter((id) => seen.get(id)?.join() !== 'queued,initiated,sent,delivered');
        lastWrongId = wrong[0];
        lastWrong = wrong.slice(0, 5).map((id) => `${id}: ${seen.get(id)?.join() ?? 'none'}`).join('; ');
        return wrong.length === 0 ? true : undefined;
      },
      60_000,
      'every callback delivered',
    ).catch(async (err: Error) => {
      const id = lastWrongId;
      const { rows } = await sql.query('select status, detail from message_events where message_id = $1 order by id', [id]);
      const { rows: hooks } = await sql.query('select id, status, attempts, last_status_code, last_error, body, updated_at from webhook_deliveries where message_id = $1 order by id', [id]);
      const got = receiver.requests.filter((r) => r.json?.id === id).map((r) => `${r.json.status}@${r.at}`);
      throw new Error(`${err.message}; for example ${lastWrong}; received ${got.join(' ')}; events ${JSON.stringify(rows)}; webhooks ${JSON.stringify(hooks.map((h) => ({ ...h, body: JSON.parse(h.body).status })))}`);
    });

    // Duplicate carrier submissions: a simulated handset that got one message twice, or an SMPP
    // part submitted twice. Only the dead node's batches in flight can cause them.
    const { rows: handsetDupes } = await sql.query<{ n: string }>(`select count(*) - count(distinct message_id) as n from handset_messages where message_id = any($1)`, [ids]);
    const { rows: smppDupes } = await sql.query<{ n: string }>(`select count(*) - count(distinct (message_id, part_index)) as n from carrier_parts where message_id = any($1)`, [ids]);
    const duplicates = Number(handsetDupes[0]!.n) + Number(smppDupes[0]!.n);
    const window = BATCH * CONCURRENCY + SMPP_WINDOW;
    process.stdout.write(`multi-node: ${ids.length} accepted (${refused} refused or cut off), ${duplicates} duplicate carrier submissions (bound ${window})\n`);
    expect(duplicates).toBeLessThanOrEqual(window);
    expect(ids.length).toBeGreaterThanOrEqual(310);
  }, 180_000);
});
