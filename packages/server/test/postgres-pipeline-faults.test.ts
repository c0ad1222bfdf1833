/**
 * Faults against pipelined PostgreSQL transactions (store/dialects/postgres-pipeline.ts) under a
 * steady load of native REST creates: the link to the database is cut inside transactions and taken
 * away briefly, the server's backends are terminated, and for a while the insert of message events
 * (a held, write-only statement whose error surfaces with the COMMIT) fails as a full disk would.
 * Afterwards, with the database back and the node drained: every 201 is a committed message with
 * its `queued` event that ends delivered, nothing is half-written or left behind, every refusal was
 * a 503 in the native shape, and the node is ready again. Invariants only, no counts or timings.
 */
import { isTerminalStatus, type MessageStatus } from '@switchboard/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from './helpers/log-capture.js';
import { createTestDatabase, databaseUrl, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';
import { TcpLink } from './helpers/tcp-link.js';

const WORKERS = 24;
const CHAOS_MS = 6_000;
/** Longest any one request may take: a request that hangs is a failure, not a slow answer. */
const REQUEST_BOUND_MS = 15_000;
const FINAL = ['delivered', 'undelivered', 'failed', 'canceled'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(servicesOff)('pipelined PostgreSQL transactions under faults', () => {
  let db: TestDatabase;
  let link: TcpLink;
  let server: TestServer;
  let admin: pg.Client;
  const logs = captureLogs('warn');
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => void unhandled.push(err);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    db = await createTestDatabase();
    admin = new pg.Client({ connectionString: databaseUrl(db.name), connectionTimeoutMillis: 5_000 });
    admin.on('error', () => undefined);
    await admin.connect();
    link = TcpLink.to(db.url);
    await link.up();
    // A short dispatch lease: a create whose COMMIT went through but whose answer was cut leaves its
    // job leased to this node without the node knowing; it is claimed again when the lease ends.
    server = await startTestServer({ databaseUrl: link.via(db.url), databasePoolSize: 4, dispatchLeaseMs: 1_500, logLevel: 'warn' }, { logger: logs.logger });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await link?.up().catch(() => undefined);
    await server?.stop();
    await link?.down();
    await admin?.end().catch(() => undefined);
    await db?.drop();
  });

  const rows = async <T,>(text: string, values: unknown[] = []): Promise<T[]> => (await admin.query(text, values)).rows as T[];

  it('keeps every accepted message whole and refuses the rest with a 503', async () => {
    const answers: Array<{ status: number; text: string; id?: string }> = [];
    let loading = true;
    const worker = async (w: number) => {
      for (let i = 0; loading; i++) {
        let status = -1;
        let text = '';
        try {
          const res = await fetch(`${server.url}/api/messaging/messages`, {
            method: 'POST',
            headers: { authorization: server.auth, 'content-type': 'application/json' },
            body: JSON.stringify({ from: NUMBERS[0], to: `+1555781${String(w).padStart(2, '0')}${String(i % 100).padStart(2, '0')}`, body: `fault ${w}/${i}` }),
            signal: AbortSignal.timeout(REQUEST_BOUND_MS),
          });
          status = res.status;
          text = await res.text();
        } catch (err) {
          text = String(err);
        }
        answers.push({ status, text, id: status === 201 ? (JSON.parse(text) as { id: string }).id : undefined });
        if (status !== 201) await sleep(25);
      }
    };
    const load = Array.from({ length: WORKERS }, (_, w) => worker(w));

    const faults = { cuts: 0, outages: 0, terminations: 0, diskFull: 0 };
    const terminate = async () => {
      // Only this test's database, and only the node's own connections (not this admin one).
      const r = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'switchboard' and pid <> pg_backend_pid()`, [db.name]);
      faults.terminations += r.rowCount ?? 0;
    };
    const diskFull = async (on: boolean) => {
      if (on) {
        faults.diskFull++;
        // Some event inserts fail as a full disk would (SQLSTATE 53100): the create's or state change's held insert fails, reported with what it went with.
        await admin.query(`create or replace function sbt_disk_full() returns trigger language plpgsql as $$ begin if random() < 0.2 then raise exception 'injected: no space left on device' using errcode = '53100'; end if; return new; end $$`);
        await admin.query(`create trigger sbt_disk_full before insert on message_events for each row execute function sbt_disk_full()`);
      } else {
        await admin.query(`drop trigger if exists sbt_disk_full on message_events`);
      }
    };

    // Load first, so the faults land on transactions in flight.
    await eventually(() => (answers.some((a) => a.status === 201) ? true : undefined), 10_000, 'the first accepted message');
    const end = Date.now() + CHAOS_MS;
    for (let round = 0; Date.now() < end; round++) {
      await sleep(120 + Math.random() * 200);
      switch (round % 4) {
        case 0:
          link.cut();
          faults.cuts++;
          break;
        case 1:
          await terminate();
          break;
        case 2:
          await link.down();
          faults.outages++;
          await sleep(150 + Math.random() * 250);
          await link.up();
          break;
        case 3:
          await diskFull(round % 8 === 3);
          break;
      }
    }
    await diskFull(false);
    await link.up();
    // A little load with everything back, then stop.
    await sleep(500);
    loading = false;
    await Promise.all(load);

    // The node recovers by itself: a new message is accepted again.
    await eventually(async () => ((await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557819999', body: 'after' } })).status === 201 ? true : undefined), 20_000, 'acceptance after the faults');
    // Drained: every message has ended (jobs of creates whose answer was cut come back when their lease ends).
    await eventually(async () => ((await rows(`select 1 from messages where status not in ('delivered','undelivered','failed','canceled') limit 1`)).length === 0 ? true : undefined), 25_000, 'every message to end');

    const accepted = answers.filter((a) => a.status === 201).map((a) => a.id!);
    const refused = answers.filter((a) => a.status !== 201);
    expect(faults.cuts + faults.outages).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    // Every refusal is a 503 in the native shape: never a 500, never a request left hanging.
    for (const a of refused) {
      expect(a.status, a.text).toBe(503);
      expect(JSON.parse(a.text)).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });
    }

    // Every 201 was committed, with its `queued` event, and ended delivered.
    const stored = new Map((await rows<{ id: string; status: MessageStatus }>(`select id, status from messages`)).map((m) => [m.id, m.status]));
    const lost = accepted.filter((id) => !stored.has(id));
    expect(lost, 'answered 201 but not stored').toEqual([]);
    const notDelivered = accepted.filter((id) => stored.get(id) !== 'delivered');
    expect(notDelivered, 'accepted but not delivered').toEqual([]);
    for (const status of stored.values()) expect(isTerminalStatus(status) && FINAL.includes(status)).toBe(true);
    // Nothing half-written: no message without its `queued` event, no event or job without its message.
    expect(await rows(`select id from messages m where not exists (select 1 from message_events e where e.message_id = m.id and e.status = 'queued')`)).toEqual([]);
    expect(await rows(`select id from message_events e where not exists (select 1 from messages m where m.id = e.message_id)`)).toEqual([]);
    expect(await rows(`select id from jobs j where not exists (select 1 from messages m where m.id = j.message_id)`)).toEqual([]);
    // Nothing left behind: no dispatch job for a message that has ended.
    expect(await rows(`select j.id from jobs j join messages m on m.id = j.message_id where j.kind = 'dispatch' and m.status in ('delivered','undelivered','failed','canceled')`)).toEqual([]);
    // A message's timeline has each state once, whatever was retried.
    expect(await rows(`select message_id, status from message_events group by message_id, status having count(*) > 1`)).toEqual([]);

    // Ready again; nothing escaped as an unhandled rejection or an internal error.
    await eventually(async () => ((await server.api('/ready', { auth: null })).status === 200 ? true : undefined), 10_000, 'readiness');
    expect(unhandled).toEqual([]);
    expect(logs.matching('unhandled error')).toEqual([]);
  }, 90_000);
});
