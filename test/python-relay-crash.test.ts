/**
 * SignalWire's Python SDK as a long-running RELAY service (`client.run()`'s reconnect loop) when its
 * server is killed (SIGKILL) and restarted on the same database while the client cannot reach it.
 * An inbound message for its context comes in meanwhile. The client reconnects by itself under its
 * protocol, is resumed from its session's checkpoint with its contexts, gets that message once, and
 * sends on. Skipped, saying why, without the SDK checkout or python3's websockets and structlog
 * modules (test/signalwire-python.ts), or without the built server.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashTestEnv, freePort, killNow, readServerRows, serverIsBuilt, startBuiltServer } from '../packages/server/test/helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, servicesOff, type TestDatabase } from '../packages/server/test/helpers/postgres.js';
import { eventually } from '../packages/server/test/helpers/server.js';
import { TcpLink } from '../packages/server/test/helpers/tcp-link.js';
import { pythonSetup, resultOf, startPythonFixture, type PythonSteps } from './signalwire-python.js';

const setup = pythonSetup(['websockets', 'structlog']);
if ('missing' in setup) console.warn(`SignalWire Python SDK (RELAY crash) test skipped: ${setup.missing}`);

const PROJECT = 'c0ffee00-7777-4777-8777-555566668888';
const TOKEN = 'PTpythonCrashToken00000000000000000000000000';
const NUMBER = '+15551230001';
const PHONE = '+15557654330';
const auth = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}`;

let child: ChildProcess | undefined;
let db: TestDatabase | undefined;
let link: TcpLink | undefined;
let script: PythonSteps | undefined;
const dir = mkdtempSync(join(tmpdir(), 'switchboard-py-crash-'));

afterAll(async () => {
  script?.kill();
  await link?.down();
  await killNow(child);
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(base: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { authorization: auth, 'content-type': 'application/json' },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

/** Whether a checkpoint of the session `protocol` is saved. */
async function checkpointed(protocol: string): Promise<boolean> {
  const rows = await readServerRows<{ n: number | string }>({ dataDir: dir, database: db }, 'select count(*) as n from relay_parked_sessions where protocol = $1', [`checkpoint:${protocol}`]);
  return Number(rows[0]!.n) > 0;
}

describe.skipIf('missing' in setup || !serverIsBuilt || (serversOnPostgres && servicesOff))("SignalWire's Python SDK when its server is killed", () => {
  it('reconnects under its protocol with its context, and gets the inbound message that came while it was away', async () => {
    if (serversOnPostgres) db = await createTestDatabase();
    const port = await freePort();
    const env = crashTestEnv({ dataDir: dir, project: PROJECT, token: TOKEN, database: db });
    const start = async () => {
      const node = await startBuiltServer({ port, env });
      child = node.child;
      return node.base;
    };
    const base = await start();
    const numbers = (await api(base, '/api/relay/rest/phone_numbers')).body.data as Array<{ id: string; number: string }>;
    const number = numbers.find((n) => n.number === NUMBER)!;
    expect((await api(base, `/api/relay/rest/phone_numbers/${number.id}`, { method: 'PUT', body: { message_handler: 'relay_context', message_relay_context: 'office' } })).status).toBe(200);

    link = new TcpLink({ host: '127.0.0.1', port });
    await link.up();
    script = startPythonFixture(setup as { python: string; sdk: string }, 'reconnect.py', { SW_HOST: `127.0.0.1:${link.port}`, SW_PROJECT: PROJECT, SW_TOKEN: TOKEN, SW_CONTEXT: 'office', SW_FROM: NUMBER, SW_TO: PHONE, SW_ROUNDS: '1' });
    const ready = await script.printed(/READY (\S+)/);
    const protocol = ready.split(' ')[1]!;
    // The node saves its sessions' checkpoints once a second: wait for one to hold this session.
    await eventually(async () => ((await checkpointed(protocol)) ? true : undefined), 10_000, 'the checkpoint');

    await killNow(child);
    await link.down();
    const restarted = await start();
    expect((await api(restarted, '/api/simulator/inbound', { body: { from: PHONE, to: NUMBER, body: 'came in while away' } })).status).toBe(201);

    await link.up();
    script.next();
    await script.printed(`BACK ${protocol}`);
    const { code, out, err } = await script.done;
    expect(code, err).toBe(0);
    expect(resultOf(out)).toEqual({ inbound: ['came in while away'], protocols: [protocol, protocol], sent: ['delivered'] });
    // Nothing was queued for an unknown context: the resumed session had its context from the start.
    await eventually(async () => ((await api(restarted, '/api/messaging/logs?page_size=10')).body.data.length >= 2 ? true : undefined), 10_000, 'both messages logged');
  }, 120_000);
});
