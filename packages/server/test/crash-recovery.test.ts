/**
 * Durability: a server killed with SIGKILL in the middle of a burst loses nothing it accepted.
 * Runs the built server (npm test builds first) as a child process, kills it while messages are
 * being accepted, dispatched and reported, restarts it on the same data folder, and checks that
 * every message whose 201 reached the client ends `delivered` with its status callbacks delivered,
 * reaches its handset once, and that callbacks sent twice stay within the documented window (the
 * requests in flight at the kill, at most `webhooks.concurrency`), each repeat with its first's
 * `I-Twilio-Idempotency-Token`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashTestEnv, freePort, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { basicAuth, eventually } from './helpers/server.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhook-receiver.js';

const PROJECT = 'c0ffee00-1111-4222-8333-444455556666';
const TOKEN = 'PTcrashTestToken00000000000000000000000000000000';
const auth = basicAuth(PROJECT, TOKEN);
const WEBHOOK_CONCURRENCY = 16;

/** A status callback as (message, status): native JSON or the Compatibility API's form. */
function callbackOf(r: ReceivedRequest): { id: string; status: string } | undefined {
  if (r.json) return { id: r.json.id, status: r.json.status };
  if (r.form) return { id: r.form.get('MessageSid')!, status: r.form.get('MessageStatus')! };
  return undefined;
}

async function start(dataDir: string, port: number): Promise<ChildProcess> {
  const { child } = await startBuiltServer({
    port,
    timeoutMs: 15_000,
    env: {
      ...crashTestEnv({ dataDir, project: PROJECT, token: TOKEN, database }),
      // Slow enough that a kill lands with messages at every stage of their lifecycle.
      SWITCHBOARD_SIMULATOR_DELAY_MS: '150',
      // The checks below read hundreds of messages at once from loopback, one connection each.
      SWITCHBOARD_MAX_CONNECTIONS_PER_ADDRESS: '5000',
      SWITCHBOARD_WEBHOOK_RETRY_BASE_MS: '50',
      SWITCHBOARD_WEBHOOK_RETRY_MAX_MS: '200',
      // The at-least-once window of callbacks is the requests in flight at the kill: at most this many.
      SWITCHBOARD_WEBHOOK_CONCURRENCY: String(WEBHOOK_CONCURRENCY),
    },
  });
  return child;
}

/** One port for both runs: the restarted server answers where the first one did. */
let port: number;
let base: string;
let dataDir: string;
let receiver: WebhookReceiver;
let server: ChildProcess | undefined;
let database: TestDatabase | undefined;

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-crash-'));
  receiver = await startWebhookReceiver();
  if (serversOnPostgres) database = await createTestDatabase();
});
afterAll(async () => {
  server?.kill('SIGKILL');
  await receiver.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!serverIsBuilt)('a server killed with SIGKILL mid-burst', () => {
  it('delivers every accepted message and its callbacks after a restart', async () => {
    server = await start(dataDir, port);
    const accepted = new Set<string>();
    /** Sent through the Compatibility API (the others natively). */
    const compat = new Set<string>();
    let killed = false;
    let refused = 0;

    // 20 senders keep sending until the kill, half natively and half through the Compatibility
    // API; a 201 that arrives counts as accepted. Each message goes to a handset of its own.
    const sender = async (n: number) => {
      for (let i = 0; !killed; i++) {
        const to = `+1555${String(n).padStart(2, '0')}${String(i).padStart(5, '0')}`;
        try {
          const res =
            n % 2 === 0
              ? await fetch(`${base}/api/messaging/messages`, {
                  method: 'POST',
                  headers: { authorization: auth, 'content-type': 'application/json' },
                  body: JSON.stringify({ from: '+15551230001', to, body: `burst ${n}/${i}`, status_callback: `${receiver.url}/cb` }),
                })
              : await fetch(`${base}/api/laml/2010-04-01/Accounts/${PROJECT}/Messages.json`, {
                  method: 'POST',
                  headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
                  body: new URLSearchParams({ From: '+15551230001', To: to, Body: `burst ${n}/${i}`, StatusCallback: `${receiver.url}/cb` }),
                });
          if (res.status === 201) {
            const { id, sid } = (await res.json()) as { id?: string; sid?: string };
            accepted.add((id ?? sid)!);
            if (sid) compat.add(sid);
          }
        } catch {
          refused++;
        }
      }
    };
    const senders = Array.from({ length: 20 }, (_, n) => sender(n));
    await eventually(() => (accepted.size >= 300 ? true : undefined), 20_000, '300 accepted messages');
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGKILL');
    // The senders keep going until the process is gone: whatever was in flight then, or sent
    // after, fails (a burst cut by the kill, not one that happened to pause just before it).
    await exited;
    killed = true;
    await Promise.all(senders);
    const acceptedBeforeKill = accepted.size;

    server = await start(dataDir, port);
    const statusOf = async (id: string) =>
      ((await (await fetch(`${base}/api/messaging/logs/${id}`, { headers: { authorization: auth } })).json()) as { status: string }).status;

    // Every accepted message reaches `delivered`.
    await eventually(
      async () => {
        const ids = [...accepted];
        const statuses = await Promise.all(ids.map(statusOf));
        return statuses.every((s) => s === 'delivered') ? true : undefined;
      },
      60_000,
      'every accepted message delivered',
    );

    // Every accepted message's callbacks arrived, first occurrences in lifecycle order.
    await eventually(
      () => {
        const seen = new Map<string, string[]>();
        for (const r of receiver.requests) {
          const cb = callbackOf(r);
          if (!cb || !accepted.has(cb.id)) continue;
          const list = seen.get(cb.id) ?? [];
          if (!list.includes(cb.status)) list.push(cb.status);
          seen.set(cb.id, list);
        }
        for (const id of accepted) {
          const expected = compat.has(id) ? 'queued,sending,sent,delivered' : 'queued,initiated,sent,delivered';
          if (seen.get(id)?.join() !== expected) return undefined;
        }
        return true;
      },
      60_000,
      'every callback delivered',
    );

    // Each message reached its handset once (the simulator's inbox keeps what handsets received).
    const inbox = (await (await fetch(`${base}/api/simulator/messages?limit=1000`, { headers: { authorization: auth } })).json()) as { data: Array<{ message_id: string }> };
    expect(inbox.data.length).toBeLessThan(1000);
    const received = new Map<string, number>();
    for (const m of inbox.data) received.set(m.message_id, (received.get(m.message_id) ?? 0) + 1);
    for (const id of accepted) expect(received.get(id), `handset deliveries of ${id}`).toBe(1);
    expect([...received.values()].every((n) => n === 1)).toBe(true);

    // At least once: a callback arrives twice only when its request was in flight at the kill (sent,
    // its answer not yet recorded), at most webhooks.concurrency of them; the repeat carries the
    // first's idempotency token, and no two callbacks share one.
    const tokens = new Map<string, string>();
    let repeats = 0;
    for (const r of receiver.requests) {
      const cb = callbackOf(r);
      if (!cb) continue;
      const key = `${cb.id} ${cb.status}`;
      const token = r.headers['i-twilio-idempotency-token'] as string;
      expect(token).toMatch(/^[0-9a-f-]{36}$/);
      const first = tokens.get(key);
      if (first === undefined) tokens.set(key, token);
      else {
        repeats++;
        expect(token, `the repeat of ${key}`).toBe(first);
      }
    }
    expect(new Set(tokens.values()).size).toBe(tokens.size);
    expect(repeats).toBeLessThanOrEqual(WEBHOOK_CONCURRENCY);
    expect(acceptedBeforeKill).toBeGreaterThanOrEqual(300);
    // The kill landed mid-burst: the requests it cut, and those sent before the process was gone, failed (and were not counted).
    expect(refused).toBeGreaterThan(0);
  }, 120_000);
});
