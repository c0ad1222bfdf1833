/**
 * The all-in-one setup — an SMPP connector bound to the server's own simulator SMSC
 * (`simulator.smsc.enabled`) — killed with SIGKILL while the SMSC owes receipts, and restarted on
 * the same data. The SMSC keeps what it owes in the database, as a real SMSC keeps it on disk: every
 * message it accepted before the kill gets its receipt after the restart, with the outcome the
 * simulator's rules give it (delivered; undelivered 30003 for +12015550101). When the receipts died
 * with the process, those messages stayed `sent` until reconciliation gave up on them after 72 h.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashTestEnv, freePort, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { basicAuth, eventually } from './helpers/server.js';

const PROJECT = 'c0ffee00-3333-4444-8555-66667777abcd';
const TOKEN = 'PTsmscCrashTestToken0000000000000000000000000000';
const auth = basicAuth(PROJECT, TOKEN);
const MESSAGES = 60;
/** The SMSC's receipt delay: long enough that its receipts are still owed at the kill. */
const RECEIPT_DELAY_MS = 5000;

let port: number;
let smscPort: number;
let base: string;
let dataDir: string;
let server: ChildProcess | undefined;
let database: TestDatabase | undefined;

async function start(): Promise<ChildProcess> {
  const { child } = await startBuiltServer({
    port,
    timeoutMs: 15_000,
    args: ['--config', join(dataDir, 'switchboard.json')],
    env: {
      ...crashTestEnv({ dataDir: join(dataDir, 'data'), project: PROJECT, token: TOKEN, database }),
      SWITCHBOARD_SENDER_RATES: 'longcode=0,toll-free=0,shortcode=0',
      SWITCHBOARD_SIMULATOR_SMSC_ENABLED: 'true',
      SWITCHBOARD_SIMULATOR_SMSC_PORT: String(smscPort),
      SWITCHBOARD_SIMULATOR_DELAY_MS: String(RECEIPT_DELAY_MS),
    },
  });
  return child;
}

beforeAll(async () => {
  port = await freePort();
  smscPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-smsc-crash-'));
  if (serversOnPostgres) database = await createTestDatabase();
  writeFileSync(
    join(dataDir, 'switchboard.json'),
    JSON.stringify({
      smpp: {
        connectors: [{ id: 'local-smsc', host: '127.0.0.1', port: smscPort, systemId: 'switchboard', password: 'secret', throughput: 0, reconnectMinMs: 50, reconnectMaxMs: 200 }],
        routes: [
          { prefix: '+44', connector: 'local-smsc' },
          { prefix: '+1201555', connector: 'local-smsc' },
        ],
      },
    }),
  );
});
afterAll(async () => {
  server?.kill('SIGKILL');
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Log = { status: string; error_code: string | null };
const logOf = async (id: string) => (await (await fetch(`${base}/api/messaging/logs/${id}`, { headers: { authorization: auth } })).json()) as Log;
const statuses = (ids: readonly string[]) => Promise.all(ids.map(logOf));

describe.skipIf(!serverIsBuilt)('a server killed with SIGKILL while its simulator SMSC owes receipts', () => {
  it('gives every message the SMSC accepted its receipt after the restart', async () => {
    server = await start();
    // Every fifth one to the "undelivered, 30003" magic number.
    const sends = Array.from({ length: MESSAGES }, (_, i) => ({ to: i % 5 === 4 ? '+12015550101' : `+4477009${String(i).padStart(5, '0')}`, body: `owed ${i}` }));
    const accepted: Array<{ id: string; to: string }> = [];
    for (let i = 0; i < sends.length; i += 10) {
      await Promise.all(
        sends.slice(i, i + 10).map(async ({ to, body }) => {
          const res = await fetch(`${base}/api/messaging/messages`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json' },
            body: JSON.stringify({ from: '+15551230001', to, body }),
          });
          expect(res.status).toBe(201);
          accepted.push({ id: ((await res.json()) as { id: string }).id, to });
        }),
      );
    }
    const ids = accepted.map((a) => a.id);
    // Every message handed to the SMSC, whose receipts are then due RECEIPT_DELAY_MS after it accepted them.
    await eventually(async () => ((await statuses(ids)).every((l) => l.status !== 'queued' && l.status !== 'initiated') ? true : undefined), 20_000, 'every message sent');
    const before = await statuses(ids);
    const owed = before.filter((l) => l.status === 'sent').length;
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGKILL');
    await exited;
    // The receipts were still owed: the kill is what this test is about.
    expect(owed).toBeGreaterThan(0);

    server = await start();
    let last = '';
    await eventually(
      async () => {
        const now = await statuses(ids);
        const open = ids.filter((_, k) => now[k]!.status === 'sent');
        last = `${open.length} of ${ids.length} still sent`;
        return open.length === 0 ? now : undefined;
      },
      30_000,
      'every message final after the restart',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
    const after = await statuses(ids);
    accepted.forEach(({ to }, k) => {
      if (to === '+12015550101') expect(after[k]).toMatchObject({ status: 'undelivered', error_code: '30003' });
      else expect(after[k]).toMatchObject({ status: 'delivered' });
    });
  }, 120_000);
});
