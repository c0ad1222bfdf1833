/**
 * The manual simulator clock is kept in the database: a server restarted on its data folder resumes
 * at the time the clock was moved to (SQLite file database, and PostgreSQL on the PostgreSQL pass),
 * and with two nodes sharing PostgreSQL and NATS an advance made through one node moves the other,
 * which runs the work that came due there (PostgreSQL-and-NATS pass only). Nothing sleeps.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.js';
import { waitForEnd } from './helpers/messages.js';
import { createTestDatabase, NATS_TEST_URL, serversOnNats, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

const CLOCK = '/api/simulator/clock';
const ADVANCE = '/api/simulator/clock/advance';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const now = async (server: TestServer): Promise<number> => Date.parse((await server.api(CLOCK)).body.now);
const advance = async (server: TestServer, ms: number): Promise<number> => {
  const res = await server.api(ADVANCE, { body: { ms } });
  expect(res.status, res.text).toBe(200);
  return Date.parse(res.body.now);
};
const schedule = async (server: TestServer, to: string, at: number): Promise<string> => {
  const res = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body: 'clock', send_at: new Date(at).toISOString() } });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
};
const status = async (server: TestServer, id: string): Promise<string> => (await server.api(`/api/messaging/logs/${id}`)).body.status;

describe('the manual clock across a restart', () => {
  let dataDir: string;
  let server: TestServer | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-clock-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes at the time it was moved to, so a message scheduled in that time keeps its place', async () => {
    const first = await startTestServer({ simulatorClock: 'manual' }, { dataDir });
    const moved = await advance(first, 2 * DAY);
    const id = await schedule(first, '+15557750001', moved + 10 * MINUTE);
    await first.close();

    server = await startTestServer({ simulatorClock: 'manual' }, { dataDir });
    // Not the wall clock's time of the second start (two days earlier).
    expect(await now(server)).toBe(moved);
    await advance(server, 10 * MINUTE - 1);
    expect(await status(server, id)).toBe('scheduled');
    await advance(server, 1);
    expect((await waitForEnd(server, id)).status).toBe('delivered');
  });
});

describe.runIf(serversOnPostgres && serversOnNats)('the manual clock on two nodes', () => {
  let db: TestDatabase;
  const nodes: TestServer[] = [];
  const clocks: ManualClock[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const bus = { natsUrl: NATS_TEST_URL, natsSubjectPrefix: `sbclock-${randomBytes(4).toString('hex')}` };
    // Node a takes requests and sends nothing (no dispatch role): node b sends what comes due.
    const roles = { 'clock-a': ['api', 'relay', 'webhooks'], 'clock-b': ['api', 'relay', 'dispatch', 'webhooks'] } as const;
    for (const [nodeId, r] of Object.entries(roles)) {
      // Each node's clock starts at its own start (as the server's does); the database's decides.
      const clock = new ManualClock(Date.now());
      clocks.push(clock);
      nodes.push(await startTestServer({ databaseUrl: db.url, databasePoolSize: 4, nodeId, roles: [...r], simulatorClock: 'manual', ...bus }, { clock }));
    }
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await db.drop();
  });

  it('starts both at the time the first stored', () => {
    expect(clocks[1]!.now()).toBe(clocks[0]!.now());
  });

  it('moves the other node with an advance made through one, and it sends the scheduled message that came due', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const [, clockB] = clocks as [ManualClock, ManualClock];
    const start = await now(a);
    const id = await schedule(a, '+15557750002', start + 30 * MINUTE);
    const moved = await advance(a, 30 * MINUTE);
    expect(moved).toBe(start + 30 * MINUTE);
    // Node b hears it on the bus, well before its 5 s look at the database (its API is not asked: that reads the database).
    await eventually(() => (clockB.now() === moved ? true : undefined), 3_000, "node b's clock to follow");
    expect((await waitForEnd(a, id)).status).toBe('delivered');
    expect(await now(b)).toBe(moved);
  });

  it('adds up advances made through both nodes at once, and every node ends at their sum', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const start = await now(a);
    await Promise.all([advance(a, DAY), advance(b, 2 * DAY)]);
    for (const n of nodes) expect(await now(n)).toBe(start + 3 * DAY);
    for (const c of clocks) expect(c.now()).toBe(start + 3 * DAY);
  });
});
