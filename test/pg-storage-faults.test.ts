/**
 * Storage faults made on a live PostgreSQL server without stopping it (it may be shared): the
 * database stops taking connections; under traffic, the node's sessions are ended or its statements
 * canceled again and again, or a table it writes is locked past the lock timeout; and the database
 * is dropped under a running node, then a copy restored. Traffic comes through every surface: the
 * native REST API (create and the logs list), the Compatibility API through the official `twilio`
 * client, and RELAY `messaging.send`. While the fault lasts every answer is a refusal in that
 * surface's own shape meaning "try again" (native 503, Compatibility API 20503 with its `more_info`,
 * JSON-RPC -32005), never an internal error or a request left hanging; once it clears the node
 * takes traffic again by itself, and every message that was accepted is stored once, ends
 * delivered, reached the handset once, had each status callback sent once, and each RELAY session
 * heard it end. Runs on PostgreSQL only (`SWITCHBOARD_TEST_DATABASE_URL`).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioClient } from '../packages/server/test/compat/clients.js';
import { createTestDatabase, POSTGRES_ADMIN_URL, serversOnPostgres, type TestDatabase } from '../packages/server/test/helpers/postgres.js';
import { RawRelay } from '../packages/server/test/helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../packages/server/test/helpers/webhook-receiver.js';

/** Longest any one answer may take: a request that hangs is a failure, not a slow answer. */
const REQUEST_BOUND_MS = 15_000;
const NATIVE_REFUSAL = { error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) };
const RPC_REFUSAL = { code: -32005, message: expect.stringMatching(/temporarily unable/), data: { retry_after_ms: 1000 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Answer = { surface: 'native' | 'compat' | 'relay'; ok: boolean; id?: string; status?: number; body?: unknown; context?: string };

/** One node on a database of its own, a `twilio` client and an admin connection to the server. */
function nodeOnOwnDatabase() {
  const ctx = {} as { db: TestDatabase; server: TestServer; admin: pg.Client; twilio: twilio.Twilio };
  beforeAll(async () => {
    ctx.db = await createTestDatabase();
    // A short dispatch lease: a create whose COMMIT went through while its answer was lost (503) left
    // its job leased to this node without the node knowing; it is sent when the lease ends (30 s by default).
    ctx.server = await startTestServer({ databaseUrl: ctx.db.url, databasePoolSize: 4, dispatchLeaseMs: 1_500 });
    ctx.admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5_000 });
    ctx.admin.on('error', () => undefined);
    await ctx.admin.connect();
    ctx.twilio = twilioClient(ctx.server.url, { timeout: REQUEST_BOUND_MS });
  });
  afterAll(async () => {
    await ctx.admin?.query(`alter database "${ctx.db.name}" allow_connections true`).catch(() => undefined);
    await ctx.server?.stop();
    await ctx.admin?.end().catch(() => undefined);
    await ctx.db?.drop();
  });
  return ctx;
}

/** End this database's sessions (the node's pool, and any other), leaving the admin connection. */
async function terminateSessions(admin: pg.Client, db: string): Promise<number> {
  const r = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db]);
  return r.rowCount ?? 0;
}

/** A message through each surface; the answer as the caller sees it. */
function surfaces(ctx: { server: TestServer; twilio: twilio.Twilio }) {
  return {
    async native(to: string, body: string, idempotencyKey?: string, statusCallback?: string): Promise<Answer> {
      const res = await fetch(`${ctx.server.url}/api/messaging/messages`, {
        method: 'POST',
        headers: { authorization: ctx.server.auth, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
        body: JSON.stringify({ from: NUMBERS[0], to, body, ...(statusCallback ? { status_callback: statusCallback } : {}) }),
        signal: AbortSignal.timeout(REQUEST_BOUND_MS),
      });
      const json = JSON.parse(await res.text()) as { id?: string };
      return { surface: 'native', ok: res.status === 201, id: json.id, status: res.status, body: json };
    },
    async compat(to: string, body: string, statusCallback?: string): Promise<Answer> {
      try {
        const m = await ctx.twilio.messages.create({ from: NUMBERS[0]!, to, body, ...(statusCallback ? { statusCallback } : {}) });
        return { surface: 'compat', ok: true, id: m.sid };
      } catch (err) {
        const e = err as { status?: number; code?: number; message?: string; moreInfo?: string };
        return { surface: 'compat', ok: false, status: e.status, body: { code: e.code, message: e.message, moreInfo: e.moreInfo } };
      }
    },
    async relay(relay: RawRelay, to: string, body: string, context?: string): Promise<Answer> {
      // Sent raw: `call` waits 5 s, less than the lock timeout plus the queue behind it.
      const id = randomUUID();
      relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method: 'messaging.send', params: { to_number: to, from_number: NUMBERS[0], body, ...(context ? { context } : {}) } }));
      const f = await relay.waitFor((x) => x.id === id && x.method === undefined, REQUEST_BOUND_MS);
      if (f.result) return { surface: 'relay', ok: true, id: f.result.message_id, body: f.result };
      return { surface: 'relay', ok: false, body: f.error };
    },
  };
}

/**
 * A refusal in its surface's own shape, meaning "try again"; with `unknownOutcome`, RELAY's answer
 * after its 8 s deadline too (-32000, documented for sends queued behind a held lock).
 */
function expectRefusal(a: Answer, unknownOutcome = false): void {
  const what = JSON.stringify(a);
  if (a.surface === 'native') {
    expect(a.status, what).toBe(503);
    expect(a.body, what).toEqual(NATIVE_REFUSAL);
  } else if (a.surface === 'compat') {
    expect(a.status, what).toBe(503);
    expect(a.body, what).toEqual({ code: 20503, message: expect.stringMatching(/temporarily unable/), moreInfo: expect.stringMatching(/^https:\/\/.*20503$/) });
  } else if (unknownOutcome && (a.body as { code?: number }).code === -32000) {
    expect(a.body, what).toEqual({ code: -32000, message: expect.stringMatching(/outcome is unknown/) });
  } else {
    expect(a.body, what).toEqual(RPC_REFUSAL);
  }
}

describe.skipIf(!serversOnPostgres)('a database that stops taking connections', () => {
  const ctx = nodeOnOwnDatabase();

  it('is refused with a 503 in every shape (not a 500), and served again once it takes connections', async () => {
    const send = surfaces(ctx);
    const { relay } = await RawRelay.connected(ctx.server.url, PROJECT_ID, API_TOKEN);
    expect((await send.native('+15557830001', 'before')).ok).toBe(true);

    // PostgreSQL refuses new sessions with SQLSTATE 55000 ("not currently accepting connections").
    await ctx.admin.query(`alter database "${ctx.db.name}" allow_connections false`);
    await terminateSessions(ctx.admin, ctx.db.name);
    const during = [await send.native('+15557830002', 'during'), await send.compat('+15557830003', 'during'), await send.relay(relay, '+15557830004', 'during')];
    for (const a of during) expectRefusal(a);
    const list = await ctx.server.api('/api/messaging/logs?page_size=5');
    expect(list.status).toBe(503);
    expect(list.body).toEqual(NATIVE_REFUSAL);
    await expect(RawRelay.connected(ctx.server.url, PROJECT_ID, API_TOKEN)).rejects.toThrow(/-32005/);
    const ready = await ctx.server.api('/ready', { auth: null });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.storage).toEqual({ ok: false, detail: expect.stringMatching(/database refuses the connection: .*SQLSTATE 55000/) });

    await ctx.admin.query(`alter database "${ctx.db.name}" allow_connections true`);
    const after = await eventually(async () => {
      const a = await send.native('+15557830005', 'after');
      return a.ok ? a : undefined;
    }, 10_000, 'acceptance once the database takes connections');
    const compat = await send.compat('+15557830006', 'after');
    const rpc = await send.relay(relay, '+15557830007', 'after');
    expect([compat.ok, rpc.ok]).toEqual([true, true]);
    await relay.close();
    for (const id of [after.id, compat.id, rpc.id]) {
      await eventually(async () => ((await ctx.server.api(`/api/messaging/logs/${id}`)).body.status === 'delivered' ? true : undefined), 10_000, `delivery of ${id}`);
    }
    // The refused requests wrote nothing.
    const logs = await ctx.server.api('/api/messaging/logs?page_size=50');
    expect(logs.body.data.filter((m: { body: string }) => m.body === 'during')).toEqual([]);
  });
});

/**
 * Nine clients, three per surface, sending while `fault` runs: native sends carry an
 * Idempotency-Key and are retried until accepted; Compatibility sends (the `twilio` client) and
 * RELAY sends are not. Then the faults are over: every refusal was "try again" in its surface's
 * shape, and every accepted message is stored once, ends delivered, reached the handset once, had
 * each status callback sent once, and each RELAY session heard it end, once.
 */
async function underLoad(ctx: { db: TestDatabase; server: TestServer; twilio: twilio.Twilio }, receiver: WebhookReceiver, run: string, fault: () => Promise<void>, unknownOutcome = false): Promise<Answer[]> {
  const send = surfaces(ctx);
  const answers: Answer[] = [];
  let loading = true;
  const relays: Array<{ relay: RawRelay; context: string }> = [];
  const worker = async (w: number) => {
    const surface = (['native', 'compat', 'relay'] as const)[w % 3]!;
    const context = `${run}${w}`;
    let relay: RawRelay | undefined;
    for (let i = 0; loading; i++) {
      const to = `+1555784${String(w).padStart(2, '0')}${String(i % 100).padStart(2, '0')}`;
      const body = `${run} ${w}/${i}`;
      let a: Answer;
      if (surface === 'relay') {
        if (!relay) {
          try {
            relay = (await RawRelay.connected(ctx.server.url, PROJECT_ID, API_TOKEN, { contexts: [context] })).relay;
            relays.push({ relay, context });
          } catch (err) {
            // A refused connect (its token read failed) is a refusal too; the session opens again.
            const error = /^connect failed: (.*)$/s.exec((err as Error).message)?.[1];
            answers.push({ surface: 'relay', ok: false, body: error ? JSON.parse(error) : String(err) });
            await sleep(50);
            continue;
          }
        }
        answers.push((a = { ...(await send.relay(relay, to, body, context)), context }));
      } else if (surface === 'compat') {
        answers.push((a = await send.compat(to, body, `${receiver.url}/compat`)));
      } else {
        // Retried with the same key until accepted, even once the load stops.
        for (;;) {
          answers.push((a = await send.native(to, body, `${run}-${w}-${i}`, `${receiver.url}/native`)));
          if (a.ok) break;
          await sleep(25);
        }
      }
      if (!a.ok) await sleep(25);
    }
  };
  const load = Array.from({ length: 9 }, (_, w) => worker(w));
  await eventually(() => (answers.filter((a) => a.ok).length >= 9 ? true : undefined), 10_000, 'the first accepted messages');
  await fault();
  await sleep(300);
  loading = false;
  await Promise.all(load);

  // Every refusal was "try again" in its own shape; nothing answered 500 or hung.
  for (const a of answers.filter((x) => !x.ok)) expectRefusal(a, unknownOutcome);
  const accepted = answers.filter((a) => a.ok).map((a) => a.id!);
  expect(new Set(answers.filter((a) => a.ok).map((a) => a.surface))).toEqual(new Set(['native', 'compat', 'relay']));

  // Back by itself; everything ends, and every accepted message was delivered, once.
  await eventually(async () => ((await send.native('+15557849999', `${run} after`)).ok ? true : undefined), 10_000, 'acceptance after the faults');
  const db = new pg.Client({ connectionString: ctx.db.url, connectionTimeoutMillis: 5_000 });
  await db.connect();
  try {
    await eventually(async () => ((await db.query(`select 1 from messages where status not in ('delivered','undelivered','failed','canceled') limit 1`)).rowCount === 0 ? true : undefined), 20_000, 'every message to end');
    const stored = new Map((await db.query<{ id: string; status: string }>(`select id, status from messages`)).rows.map((m) => [m.id, m.status]));
    expect(accepted.filter((id) => stored.get(id) !== 'delivered'), 'accepted but not stored or not delivered').toEqual([]);
    expect((await db.query(`select message_id from handset_messages group by message_id having count(*) > 1`)).rows, 'delivered twice').toEqual([]);
    // A native send retried with its key was kept once, whether or not a refused attempt had committed.
    expect((await db.query(`select body from messages where body like $1 group by body having count(*) > 1`, [`${run} %`])).rows, 'kept twice').toEqual([]);
    const nativeSends = answers.filter((a) => a.surface === 'native' && a.ok).length;
    expect(Number((await db.query(`select count(*) as n from idempotency_keys where key like $1`, [`${run}-%`])).rows[0].n)).toBe(nativeSends);
    expect((await db.query(`select m.id from messages m where not exists (select 1 from message_events e where e.message_id = m.id and e.status = 'queued')`)).rows).toEqual([]);
    // Every status callback went out, each once (a repeat only after a crash or an outage longer than the lease: docs/deploy.md).
    await eventually(async () => ((await db.query(`select 1 from webhook_deliveries where status = 'pending' limit 1`)).rowCount === 0 ? true : undefined), 20_000, 'every callback sent');
    const tokens = new Map<string, number>();
    for (const r of receiver.requests) tokens.set(String(r.headers['i-twilio-idempotency-token']), (tokens.get(String(r.headers['i-twilio-idempotency-token'])) ?? 0) + 1);
    expect([...tokens].filter(([, n]) => n > 1), 'callbacks sent twice').toEqual([]);
    const callbacks = new Set(receiver.requests.map((r) => (r.json ? `${r.json.id}:${r.json.status}` : `${r.form?.get('MessageSid')}:${r.form?.get('MessageStatus')}`)));
    const withCallback = answers.filter((a) => a.ok && a.surface !== 'relay').map((a) => a.id!);
    expect(withCallback.filter((id) => !callbacks.has(`${id}:delivered`)), "accepted without a 'delivered' callback").toEqual([]);
  } finally {
    await db.end();
  }
  // Each RELAY session (open through the faults) heard its accepted messages end delivered, each state once.
  for (const { relay, context } of relays) {
    const ids = answers.filter((a) => a.surface === 'relay' && a.ok && a.context === context).map((a) => a.id!);
    const missing = () => {
      const heard = new Set(relay.events('messaging.state').filter((p) => p.message_state === 'delivered').map((p) => p.message_id as string));
      return ids.filter((id) => !heard.has(id));
    };
    await eventually(() => (missing().length === 0 ? true : undefined), 10_000, `'delivered' events on ${context}: missing ${missing().join(', ')}`);
    const heard = relay.events('messaging.state').map((p) => `${p.message_id}:${p.message_state}`);
    expect(heard.filter((k, i) => heard.indexOf(k) !== i), `events heard twice on ${context}`).toEqual([]);
    await relay.close();
  }
  expect((await ctx.server.api('/ready', { auth: null })).status).toBe(200);
  return answers;
}

describe.skipIf(!serversOnPostgres)('a node under traffic on every surface', () => {
  const ctx = nodeOnOwnDatabase();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver?.close());

  it('whose database sessions are ended again and again keeps every accepted message and refuses the rest in each shape', async () => {
    let terminated = 0;
    await underLoad(ctx, receiver, 'term', async () => {
      for (let round = 0; round < 12; round++) {
        await sleep(150 + Math.random() * 150);
        terminated += await terminateSessions(ctx.admin, ctx.db.name);
      }
    });
    expect(terminated).toBeGreaterThan(0);
  }, 45_000);

  it('whose statements an administrator cancels again and again does the same', async () => {
    let canceled = 0;
    await underLoad(ctx, receiver, 'cancel', async () => {
      for (let round = 0; round < 40; round++) {
        await sleep(30 + Math.random() * 60);
        // SQLSTATE 57014 (query_canceled), as a statement_timeout gives, on whatever the node runs now.
        const r = await ctx.admin.query(`select pg_cancel_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and state = 'active'`, [ctx.db.name]);
        canceled += r.rowCount ?? 0;
      }
    });
    expect(canceled).toBeGreaterThan(0);
  }, 45_000);

  it('whose events table another session locks past the lock timeout does the same', async () => {
    const locker = new pg.Client({ connectionString: ctx.db.url, connectionTimeoutMillis: 5_000 });
    await locker.connect();
    try {
      const answers = await underLoad(ctx, receiver, 'lock', async () => {
        await locker.query('begin');
        await locker.query('lock table message_events in access exclusive mode');
        await sleep(6_000);
        await locker.query('rollback');
      }, true);
      // The lock was felt: sends waiting on it were refused.
      expect(answers.some((a) => !a.ok)).toBe(true);
    } finally {
      await locker.end();
    }
  }, 45_000);
});

describe.skipIf(!serversOnPostgres)('a database dropped under a running node', () => {
  const ctx = nodeOnOwnDatabase();

  it('is refused in every shape while it is gone, and served again once a copy is restored under its name', async () => {
    const send = surfaces(ctx);
    const { relay } = await RawRelay.connected(ctx.server.url, PROJECT_ID, API_TOKEN);
    const saved = await send.native('+15557850001', 'in the backup');
    expect(saved.ok).toBe(true);
    await eventually(async () => ((await ctx.server.api(`/api/messaging/logs/${saved.id}`)).body.status === 'delivered' ? true : undefined), 10_000, 'delivery');
    // A backup: a copy made while the database takes no sessions for a moment.
    const backup = `${ctx.db.name}_bk`;
    await ctx.admin.query(`alter database "${ctx.db.name}" allow_connections false`);
    await terminateSessions(ctx.admin, ctx.db.name);
    await ctx.admin.query(`create database "${backup}" template "${ctx.db.name}"`);
    await ctx.admin.query(`alter database "${ctx.db.name}" allow_connections true`);
    try {
      await eventually(async () => ((await send.native('+15557850002', 'after the backup')).ok ? true : undefined), 10_000, 'acceptance after the backup');

      await ctx.admin.query(`drop database "${ctx.db.name}" with (force)`);
      const during = [await send.native('+15557850003', 'dropped'), await send.compat('+15557850004', 'dropped'), await send.relay(relay, '+15557850005', 'dropped')];
      for (const a of during) expectRefusal(a);
      const ready = await ctx.server.api('/ready', { auth: null });
      expect(ready.status).toBe(503);
      expect(ready.body.checks.storage.detail).toMatch(/database refuses the connection: .*SQLSTATE 3D000/);

      await ctx.admin.query(`alter database "${backup}" rename to "${ctx.db.name}"`);
      const back = await eventually(async () => {
        const a = await send.native('+15557850006', 'restored');
        return a.ok ? a : undefined;
      }, 15_000, 'acceptance once the database is restored');
      const compat = await send.compat('+15557850007', 'restored');
      const rpc = await send.relay(relay, '+15557850008', 'restored');
      for (const id of [back.id, compat.id, rpc.id]) {
        await eventually(async () => ((await ctx.server.api(`/api/messaging/logs/${id}`)).body.status === 'delivered' ? true : undefined), 10_000, `delivery of ${id}`);
      }
      await relay.close();
      expect((await ctx.server.api('/ready', { auth: null })).status).toBe(200);
    } finally {
      await ctx.admin.query(`drop database if exists "${backup}" with (force)`);
    }
  }, 45_000);
});
