/**
 * A RELAY client whose node is killed (SIGKILL: no hand-over) resumes from where it stood. Its
 * node saves each session's position now and then (relay/checkpoints.ts); the node the client comes
 * back to (the restarted process on the same SQLite database, or another node on PostgreSQL+NATS)
 * takes it and catches the session up from the stored events: what it had is not sent again, what
 * it missed (a message's last state, an inbound message) comes once. Without the checkpoints the
 * session was adopted again with no position: the last state it had came a second time (a), and
 * the inbound message received while it was away never came (b). One it got but had not
 * acknowledged when its node died comes again (at least once).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { crashTestEnv, freePort, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { eventually } from './helpers/server.js';

const PROJECT = 'c0ffee00-5555-4555-8555-555566667777';
const TOKEN = 'PTcrashResumeToken000000000000000000000000000';
const NUMBER = '+15551230001';
const auth = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}`;

const children: ChildProcess[] = [];
let db: TestDatabase | undefined;
let dir: string | undefined;

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
  }
  await db?.drop();
  db = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function start(port: number, env: Record<string, string>, name: string): Promise<{ child: ChildProcess; base: string }> {
  const node = await startBuiltServer({ port, env, name });
  children.push(node.child);
  return node;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function api(base: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: auth, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return res.json();
}

async function delivered(base: string, id: string): Promise<void> {
  await eventually(async () => ((await api(base, `/api/messaging/logs/${id}`)).status === 'delivered' ? true : undefined), 20_000, 'delivered');
}

/** The keys the saved checkpoint of `protocol` says its client had, or undefined while there is none. */
async function checkpointed(protocol: string): Promise<string[] | undefined> {
  const q = "select params from relay_parked_events where protocol = $1 and key = 'had'";
  if (db) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const row = (await client.query(q, [`checkpoint:${protocol}`])).rows[0] as { params: string } | undefined;
      return row ? (JSON.parse(row.params) as string[]) : undefined;
    } finally {
      await client.end();
    }
  }
  const sqlite = new Database(join(dir!, 'switchboard.db'), { readonly: true, fileMustExist: true });
  try {
    const row = sqlite.prepare(q.replace('$1', '?')).get(`checkpoint:${protocol}`) as { params: string } | undefined;
    return row ? (JSON.parse(row.params) as string[]) : undefined;
  } finally {
    sqlite.close();
  }
}

function statesOf(relay: RawRelay, id: string): string[] {
  return relay.events('messaging.state').filter((p) => p.message_id === id).map((p) => p.message_state as string);
}

const onPostgres = serversOnPostgres && !servicesOff;

describe.skipIf(!serverIsBuilt || (serversOnPostgres && servicesOff))('a RELAY client whose node was killed (SIGKILL)', () => {
  it(`resumes from where it stood: nothing it had again, what it missed (a state, an inbound message) once (${onPostgres ? 'another node, PostgreSQL+NATS' : 'the restarted process, SQLite'})`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-crash-resume-'));
    if (onPostgres) db = await createTestDatabase();
    const cluster = { SWITCHBOARD_NATS_SUBJECT_PREFIX: `sbcrash-${Date.now().toString(36)}`, SWITCHBOARD_CLUSTER_HEARTBEAT_MS: '250', SWITCHBOARD_CLUSTER_NODE_TIMEOUT_MS: '1000', SWITCHBOARD_DATABASE_POOL_SIZE: '3' };
    const envOf = (name: string) => ({ ...crashTestEnv({ dataDir: join(dir!, name), project: PROJECT, token: TOKEN, database: db }), ...(onPostgres ? { ...cluster, SWITCHBOARD_NODE_ID: name } : { SWITCHBOARD_DATA_DIR: dir! }) });
    const portA = await freePort();
    const a = await start(portA, envOf('node-a'), 'node A');
    const b = onPostgres ? await start(await freePort(), envOf('node-b'), 'node B') : undefined;

    const first = await RawRelay.connected(a.base, PROJECT, TOKEN, { contexts: ['default'] });
    const protocol = first.result.protocol as string;
    const sender = await RawRelay.connected(a.base, PROJECT, TOKEN);
    const before = await sender.relay.call('messaging.send', { to_number: '+15557658001', from_number: NUMBER, body: 'before the kill', context: 'default' });
    const had = before.result.message_id as string;
    await first.relay.waitForEvents('messaging.state', (p) => p.message_id === had && p.message_state === 'delivered', 1, 20_000);
    await api(a.base, '/api/simulator/inbound', { from: '+15557659001', to: NUMBER, body: 'came in before the kill' });
    const [inbound] = await first.relay.waitForEvents('messaging.receive', (p) => p.body === 'came in before the kill', 1, 20_000);
    // Acknowledged (the client acks at once) and saved with the session's next checkpoint.
    await eventually(async () => ((await checkpointed(protocol))?.includes(`${inbound.message_id}:received`) && (await checkpointed(protocol))?.includes(`${had}:delivered`) ? true : undefined), 10_000, 'the checkpoint');

    // One more comes in, and the client gets it but has not acknowledged it when the node dies.
    first.relay.autoAck = false;
    await api(a.base, '/api/simulator/inbound', { from: '+15557659003', to: NUMBER, body: 'not acknowledged' });
    await first.relay.waitForEvents('messaging.receive', (p) => p.body === 'not acknowledged', 1, 20_000);

    await kill(a.child);
    await first.relay.closed();
    await sender.relay.closed();
    let target: string;
    if (b) {
      target = b.base;
      // Node B adopts what A left, and its dead node's checkpoints stay.
      await eventually(async () => {
        const client = new pg.Client({ connectionString: db!.url });
        await client.connect();
        try {
          return (await client.query("select 1 from cluster_nodes where node_id = 'node-a'")).rowCount === 0 ? true : undefined;
        } finally {
          await client.end();
        }
      }, 15_000, 'node A adopted');
    } else {
      target = (await start(portA, envOf('node-a'), 'node A restarted')).base;
    }

    // While the client is away: a message of its context is delivered, and one comes in.
    const other = await RawRelay.connected(target, PROJECT, TOKEN);
    const away = await other.relay.call('messaging.send', { to_number: '+15557658002', from_number: NUMBER, body: 'while away', context: 'default' });
    const missed = away.result.message_id as string;
    await delivered(target, missed);
    await api(target, '/api/simulator/inbound', { from: '+15557659002', to: NUMBER, body: 'came in while away' });

    // As realtime-api comes back: its protocol, then its topics again.
    const back = await RawRelay.connected(target, PROJECT, TOKEN, { protocol });
    await back.relay.call('signalwire.receive', { contexts: ['default'] });
    expect(back.result).toMatchObject({ protocol, session_restored: true });
    await back.relay.waitForEvents('messaging.receive', (p) => p.body === 'came in while away', 1, 10_000);
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === missed && p.message_state === 'delivered', 1, 10_000);
    await back.relay.call('signalwire.ping', {});
    expect(statesOf(back.relay, had)).toEqual([]);
    expect(statesOf(back.relay, missed)).toEqual(['delivered']);
    // What it had not acknowledged comes again, before what it missed.
    expect(back.relay.events('messaging.receive').map((p) => p.body)).toEqual(['not acknowledged', 'came in while away']);
    await back.relay.close();
    await other.relay.close();
  }, 90_000);
});
