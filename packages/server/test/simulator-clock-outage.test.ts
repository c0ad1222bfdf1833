/**
 * `POST /api/simulator/clock/advance` while storage is unavailable (the manual clock's position is
 * kept in the database): the native API's 503 with Retry-After, never a 500 or a hang, and no clock
 * moved; once storage is back an advance moves the clock by its own step only. SQLite (a read-only
 * database, the path of a full or failing disk) and PostgreSQL (the link to it down). The engine's
 * side (timers through the outage) is test/storage-outage-timers.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { createTestDatabase, serversOnPostgres, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sqliteReadOnly } from './helpers/store-outage.js';
import { TcpLink } from './helpers/tcp-link.js';

const CLOCK = '/api/simulator/clock';
const ADVANCE = '/api/simulator/clock/advance';
const MINUTE = 60_000;

async function advanceDuringOutage(server: TestServer, fail: () => Promise<void>, restore: () => Promise<void>): Promise<void> {
  const start = Date.parse((await server.api(CLOCK)).body.now);
  await fail();
  const refused = await server.api(ADVANCE, { body: { ms: MINUTE } });
  expect(refused.status, refused.text).toBe(503);
  expect(refused.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  await restore();
  const moved = await server.api(ADVANCE, { body: { ms: MINUTE } });
  expect(moved.status, moved.text).toBe(200);
  expect(Date.parse(moved.body.now)).toBe(start + MINUTE);
  expect(Date.parse((await server.api(CLOCK)).body.now)).toBe(start + MINUTE);
}

describe.skipIf(serversOnPostgres)('advancing the manual clock while SQLite cannot be written', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ simulatorClock: 'manual' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 503 and moves nothing; works again once storage is back', async () => {
    const store = server.store as KyselyStore;
    await advanceDuringOutage(server, () => sqliteReadOnly(store, true), () => sqliteReadOnly(store, false));
  });
});

describe.skipIf(servicesOff)('advancing the manual clock while PostgreSQL is out of reach', () => {
  let db: TestDatabase;
  let link: TcpLink;
  let server: TestServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    link = TcpLink.to(db.url);
    await link.up();
    server = await startTestServer({ simulatorClock: 'manual', databaseUrl: link.via(db.url), databasePoolSize: 4 });
  });
  afterAll(async () => {
    await link?.up().catch(() => undefined);
    await server?.stop();
    await link?.down();
    await db?.drop();
  });

  it('answers 503 and moves nothing; works again once storage is back', async () => {
    await advanceDuringOutage(server, () => link.down(), () => link.up());
  });
});
