/**
 * Storage faults made on a live PostgreSQL server without stopping it (it may be shared): the
 * database stops taking connections, the node's sessions are ended again and again under traffic,
 * and the database is dropped under a running node. Traffic comes through every surface: the native
 * REST API (create and the logs list), the Compatibility API through the official `twilio` client,
 * and RELAY `messaging.send`. While the fault lasts every answer is a refusal in that surface's own
 * shape meaning "try again" (native 503, Compatibility API 20503 with its `more_info`, JSON-RPC
 * -32005), never an internal error or a request left hanging; once it clears the node takes traffic
 * again by itself, and every message that was accepted is stored, ends delivered and reached the
 * handset once. Runs on PostgreSQL only (`SWITCHBOARD_TEST_DATABASE_URL`).
 */
import pg from 'pg';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioClient } from '../packages/server/test/compat/clients.js';
import { createTestDatabase, databaseUrl, POSTGRES_ADMIN_URL, serversOnPostgres, type TestDatabase } from '../packages/server/test/helpers/postgres.js';
import { RawRelay } from '../packages/server/test/helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';

/** Longest any one answer may take: a request that hangs is a failure, not a slow answer. */
const REQUEST_BOUND_MS = 15_000;
const NATIVE_REFUSAL = { error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) };
const RPC_REFUSAL = { code: -32005, message: expect.stringMatching(/temporarily unable/), data: { retry_after_ms: 1000 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Answer = { surface: 'native' | 'compat' | 'relay'; ok: boolean; id?: string; status?: number; body?: unknown };

/** One node on a database of its own, a `twilio` client and an admin connection to the server. */
function nodeOnOwnDatabase() {
  const ctx = {} as { db: TestDatabase; server: TestServer; admin: pg.Client; twilio: twilio.Twilio };
  beforeAll(async () => {
    ctx.db = await createTestDatabase();
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
    async native(to: string, body: string): Promise<Answer> {
      const res = await fetch(`${ctx.server.url}/api/messaging/messages`, {
        method: 'POST',
        headers: { authorization: ctx.server.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ from: NUMBERS[0], to, body }),
        signal: AbortSignal.timeout(REQUEST_BOUND_MS),
      });
      const json = JSON.parse(await res.text()) as { id?: string };
      return { surface: 'native', ok: res.status === 201, id: json.id, status: res.status, body: json };
    },
    async compat(to: string, body: string): Promise<Answer> {
      try {
        const m = await ctx.twilio.messages.create({ from: NUMBERS[0]!, to, body });
        return { surface: 'compat', ok: true, id: m.sid };
      } catch (err) {
        const e = err as { status?: number; code?: number; message?: string; moreInfo?: string };
        return { surface: 'compat', ok: false, status: e.status, body: { code: e.code, message: e.message, moreInfo: e.moreInfo } };
      }
    },
    async relay(relay: RawRelay, to: string, body: string): Promise<Answer> {
      const f = await relay.call('messaging.send', { to_number: to, from_number: NUMBERS[0], body });
      if (f.result) return { surface: 'relay', ok: true, id: f.result.message_id, body: f.result };
      return { surface: 'relay', ok: false, body: f.error };
    },
  };
}

/** A refusal in its surface's own shape, meaning "try again". */
function expectRefusal(a: Answer): void {
  const what = JSON.stringify(a);
  if (a.surface === 'native') {
    expect(a.status, what).toBe(503);
    expect(a.body, what).toEqual(NATIVE_REFUSAL);
  } else if (a.surface === 'compat') {
    expect(a.status, what).toBe(503);
    expect(a.body, what).toEqual({ code: 20503, message: expect.stringMatching(/temporarily unable/), moreInfo: expect.stringMatching(/^https:\/\/.*20503$/) });
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
