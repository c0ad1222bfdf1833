/**
 * A scheduled message canceled while its send time's claim is under way (PostgreSQL, where the two
 * transactions run side by side): the claim read it `scheduled`, the cancel committed `canceled`,
 * then the claim's move to `queued`/`initiated` was refused by the guard. The cancel was answered
 * 200, so the message must never reach its handset. The claim is held between its read of the
 * message and its write by a lock on `opt_outs` (the table it reads in between, for a STOP since
 * scheduling), taken by the test's own connection and released once the cancel is answered.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUrl, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

describe.skipIf(servicesOff)('a scheduled message canceled while its send time is being claimed (PostgreSQL)', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new pg.Client({ connectionString: databaseUrl(db.name), connectionTimeoutMillis: 5_000 });
    admin.on('error', () => undefined);
    await admin.connect();
    server = await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, simulatorClock: 'manual' });
  });
  afterAll(async () => {
    await admin?.query('rollback').catch(() => undefined);
    await server?.stop();
    await admin?.end().catch(() => undefined);
    await db?.drop();
  });

  const advance = (ms: number) => server.api('/api/simulator/clock/advance', { body: { ms } });

  it('is not sent once the cancel was answered', async () => {
    const now = Date.parse((await server.api('/api/simulator/clock')).body.now);
    const created = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557300001', body: 'not to be sent', send_at: new Date(now + 301_000).toISOString() } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    await admin.query('begin');
    await admin.query('lock table opt_outs in access exclusive mode');
    // The send time comes; the claim reads the message, then waits for the lock.
    const advanced = advance(302_000);
    await eventually(
      async () => ((await admin.query(`select 1 from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and pid <> pg_backend_pid()`, [db.name])).rowCount ? true : undefined),
      4_000,
      'the claim to wait for the lock',
    );
    const canceled = await server.api(`/api/messaging/messages/${id}`, { method: 'PATCH', body: { status: 'canceled' } });
    await admin.query('commit');
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');

    // The advance answers once what came due has run; a later one gives the simulator time to deliver.
    expect((await advanced).status).toBe(200);
    expect((await advance(60_000)).status).toBe(200);
    expect((await server.api(`/api/messaging/logs/${id}`)).body.status).toBe('canceled');
    const inbox = await server.api('/api/simulator/messages?limit=100');
    expect(inbox.status).toBe(200);
    expect((inbox.body.data as Array<{ message_id: string }>).filter((m) => m.message_id === id)).toEqual([]);
  });
});
