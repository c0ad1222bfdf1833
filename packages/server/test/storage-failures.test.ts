/**
 * Storage that fails under a running SQLite server (the database or disk is full): every surface
 * answers 503 in its own shape with Retry-After, /ready says why until writes succeed again,
 * delivery receipts that arrive meanwhile are recorded once storage is back (no message stays
 * `sent`), and the log names the real cause. A server stopped while receipts wait still stops, and
 * the receipts are re-armed when it starts again.
 *
 * The disk is "filled" with SQLite's own `PRAGMA max_page_count` on the server's connection: a write
 * that needs a new page fails with SQLITE_FULL, as on a full disk. The PostgreSQL side of the same
 * promise (a database that cannot be reached) is test/postgres-outage.test.ts.
 */
import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { twilioClient } from './compat/clients.js';
import { captureLogs } from './helpers/log-capture.js';
import { serversOnPostgres } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

/** The simulator's magic number whose receipt comes after `simulatorDelayedReceiptMs`. */
const DELAYED_RECEIPT = '+12015550106';
const LONG_BODY = 'x'.repeat(1600);
/** Long enough to fill the disk and try every surface before the receipts come. */
const RECEIPT_DELAY_MS = 5000;
/** Receipts whose event rows cannot fit in the room left in the database's last pages. */
const AWAITING = 100;

/** A PRAGMA on the server's own SQLite connection. */
async function pragma(s: TestServer, text: string): Promise<Record<string, number> | undefined> {
  return (await sql.raw<Record<string, number>>(`PRAGMA ${text}`).execute((s.store as KyselyStore).db)).rows[0];
}

/** "Fill the disk": no page may be added to the database from now on. */
async function fillDisk(s: TestServer): Promise<void> {
  const { page_count: pages } = (await pragma(s, 'page_count'))!;
  await pragma(s, `max_page_count = ${pages}`);
}

/** How many of `ids` are in `status` now. */
async function countIn(s: TestServer, ids: readonly string[], status: string): Promise<number> {
  const page = await s.api(`/api/messaging/logs?page_size=1000`);
  const wanted = new Set(ids);
  return (page.body.data as Array<{ id: string; status: string }>).filter((m) => wanted.has(m.id) && m.status === status).length;
}

/** Send `n` messages whose receipts come after the delayed-receipt delay, and wait until the carrier has them all. */
async function awaitingReceipts(s: TestServer, n: number): Promise<string[]> {
  const sent = await Promise.all(Array.from({ length: n }, (_, i) => s.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: DELAYED_RECEIPT, body: `awaiting its receipt ${i}` } })));
  expect(sent.map((r) => r.status)).toEqual(sent.map(() => 201));
  const ids = sent.map((r) => r.body.id as string);
  await eventually(async () => ((await countIn(s, ids, 'sent')) + (await countIn(s, ids, 'delivered')) === n ? true : undefined), 15_000, 'all handed to the carrier');
  return ids;
}

/** Wait until /ready is red because state changes wait to be written; returns its storage check. */
async function receiptsWaiting(s: TestServer): Promise<{ ok: boolean; detail: string }> {
  const ready = await eventually(async () => {
    const r = await s.api('/ready', { auth: null });
    return r.status === 503 && /state changes? waiting/.test(r.body.checks.storage?.detail ?? '') ? r : undefined;
  }, 10_000, '/ready naming the receipts that wait');
  return ready.body.checks.storage;
}

describe.skipIf(serversOnPostgres)('a SQLite server whose disk fills up', () => {
  let server: TestServer;
  const logs = captureLogs('info');

  beforeAll(async () => {
    server = await startTestServer({ simulatorDelayMs: 0, simulatorDelayedReceiptMs: RECEIPT_DELAY_MS }, { logger: logs.logger });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const sendNative = (body = LONG_BODY, to = '+15557800001') => server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body } });

  /** Try `attempt` until it reports the failure it waits for (earlier writes may still find room in a page). */
  async function untilRefused<T>(attempt: () => Promise<T | undefined>, what: string): Promise<T> {
    for (let i = 0; i < 300; i++) {
      const refused = await attempt();
      if (refused !== undefined) return refused;
    }
    throw new Error(`no storage failure reached ${what}`);
  }

  it('answers 503 on every surface, turns /ready red, and records the receipts that arrived meanwhile once storage is back', async () => {
    // Messages handed to the carrier whose receipts arrive while the disk is full.
    const waiting = await awaitingReceipts(server, AWAITING);
    await fillDisk(server);

    const native = await untilRefused(async () => {
      const r = await sendNative();
      return r.status === 201 ? undefined : r;
    }, 'the native API');
    expect(native.status).toBe(503);
    expect(native.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(native.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });

    const twilio = twilioClient(server.url);
    const compat = await untilRefused(async () => {
      const err = await twilio.messages.create({ from: NUMBERS[0]!, to: '+15557800002', body: LONG_BODY }).then(() => undefined, (e: unknown) => e);
      return err as any;
    }, 'the Compatibility API');
    expect(compat.constructor.name).toBe('RestException');
    expect(compat.status).toBe(503);
    expect(compat.code).toBe(20503);
    const compatRaw = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
      body: new URLSearchParams({ From: NUMBERS[0]!, To: '+15557800003', Body: LONG_BODY }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (compatRaw.status === 503) expect(compatRaw.headers.get('retry-after')).toMatch(/^\d+$/);

    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const rpc = await untilRefused(async () => {
      const r = await relay.call('messaging.send', { to_number: '+15557800004', from_number: NUMBERS[0], body: LONG_BODY });
      return r.error ? r : undefined;
    }, 'RELAY');
    expect(rpc.error).toEqual({ code: -32005, message: expect.stringMatching(/temporarily unable/), data: { retry_after_ms: 1000 } });
    await relay.close();

    // Readiness goes red with the reason, and stays red while receipts wait to be written (a small
    // batch of them may still fit in the room left in the last pages; the rest cannot).
    const storage = await receiptsWaiting(server);
    expect(storage).toEqual({ ok: false, detail: expect.stringMatching(/SQLITE_FULL/) });
    const waitingCount = Number(/(\d+) state changes? waiting/.exec(storage.detail)![1]);
    expect(await countIn(server, waiting, 'sent')).toBeGreaterThanOrEqual(waitingCount);

    // Storage is back: the receipts are written from where they waited, and readiness recovers.
    await pragma(server, 'max_page_count = 1073741823');
    await eventually(async () => ((await countIn(server, waiting, 'delivered')) === AWAITING ? true : undefined), 15_000, 'every receipt recorded');
    await eventually(async () => ((await server.api('/ready', { auth: null })).status === 200 ? true : undefined), 10_000, '/ready green again');
    expect((await sendNative('after')).status).toBe(201);

    // The log carries SQLite's own words, not "cannot rollback - no transaction is active".
    const text = JSON.stringify(logs.lines);
    expect(text).toMatch(/SQLITE_FULL/);
    expect(text).toMatch(/database or disk is full/);
    expect(text).not.toMatch(/cannot rollback/);
  });
});

describe.skipIf(serversOnPostgres)('a SQLite server stopped while receipts wait for storage', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('still stops, and re-arms the receipts when it starts again', async () => {
    const first = await startTestServer({ simulatorDelayMs: 0, simulatorDelayedReceiptMs: 3000 }, { dataDir });
    const waiting = await awaitingReceipts(first, 60);
    await fillDisk(first);
    await receiptsWaiting(first);
    // Stopping gives the waiting changes a few more attempts, then gives them up: it ends.
    await first.stop();

    const again = await startTestServer({ simulatorDelayMs: 0, simulatorDelayedReceiptMs: 100 }, { dataDir });
    try {
      await eventually(async () => ((await countIn(again, waiting, 'delivered')) === waiting.length ? true : undefined), 10_000, 'every receipt recorded after the restart');
    } finally {
      await again.stop();
    }
  });
});
