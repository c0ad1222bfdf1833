/**
 * A RELAY session that sent a message and then moved to another node (its connection dropped,
 * resumed there) still gets that message's later state events, whatever the message's context.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, NATS_TEST_URL, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { eventually } from './helpers/server.js';

const PROJECT = 'c0ffee00-3333-4333-8444-555566667777';
const TOKEN = 'PTresumeAcrossNodesToken0000000000000000000000';
const FROM = '+15551230002';

let db: TestDatabase;
let dir: string;
const children: ChildProcess[] = [];
const bases: string[] = [];
const ready = serverIsBuilt && !servicesOff;

beforeAll(async () => {
  if (!ready) return;
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'switchboard-resume-'));
  const prefix = `sbresume-${Date.now().toString(36)}`;
  for (const name of ['node-a', 'node-b']) {
    const port = await freePort();
    const { child, base } = await startBuiltServer({
      port,
      name,
      env: {
        SWITCHBOARD_DATABASE_URL: db.url,
        SWITCHBOARD_DATABASE_POOL_SIZE: '3',
        SWITCHBOARD_NATS_URL: NATS_TEST_URL,
        SWITCHBOARD_NATS_SUBJECT_PREFIX: prefix,
        SWITCHBOARD_NODE_ID: name,
        SWITCHBOARD_DATA_DIR: join(dir, name),
        SWITCHBOARD_PROJECT_ID: PROJECT,
        SWITCHBOARD_API_TOKEN: TOKEN,
        SWITCHBOARD_NUMBERS: FROM,
        SWITCHBOARD_HTTPS: 'false',
        // Slow enough that the client moves between its message's first and last states.
        SWITCHBOARD_SIMULATOR_DELAY_MS: '1500',
        SWITCHBOARD_LOG_LEVEL: 'error',
      },
    });
    children.push(child);
    bases.push(base);
  }
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)('a sender resumed on another node', () => {
  it('gets every state event of the message it sent to a context it does not listen to', async () => {
    const [a, b] = bases as [string, string];
    const first = await RawRelay.connected(a, PROJECT, TOKEN);
    const sent = await first.relay.call('messaging.send', { to_number: '+15557750001', from_number: FROM, body: 'moving', context: 'elsewhere' });
    expect(sent.result?.code).toBe('200');
    const id = sent.result.message_id as string;
    await first.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'queued', 1);
    const protocol = first.result.protocol as string;
    await first.relay.cut();
    await eventually(async () => {
      const res = await fetch(`${b}/api/messaging/logs/${id}`, { headers: { authorization: `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString('base64')}` } });
      return res.status === 200 ? true : undefined;
    }, 5_000, 'the message readable on node B');
    // Parked by node A (give it the park), resumed on node B.
    await new Promise((r) => setTimeout(r, 200));
    const back = await RawRelay.connected(b, PROJECT, TOKEN, { protocol });
    expect(back.result).toMatchObject({ protocol, session_restored: true });
    await back.relay.waitForEvents('messaging.state', (p) => p.message_id === id && p.message_state === 'delivered', 1, 15_000);
    // Before the drop and after the resume together: the whole lifecycle, in order (a replay may repeat one).
    const seen = [...first.relay.events('messaging.state'), ...back.relay.events('messaging.state')].filter((p) => p.message_id === id).map((p) => p.message_state as string);
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    await back.relay.close();
  }, 30_000);
});
