/**
 * A node stopped (SIGTERM) while PostgreSQL keeps its connections open and never answers (a
 * stopped or hung server, a partition). Each write of the stop (the RELAY sessions parked here
 * forgotten, the node marked stopped, its leases released) waited for its own query or connect
 * timeout, one after the other: such a stop took 40–55 s. Now the database gets
 * `STOP_SILENCE_MS` (6 s) in all, and what the stop could not write is logged, as when the database
 * is away. The test's own timeout (20 s) is the bound; the stop took 49 s before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from './helpers/log-capture.js';
import { createTestDatabase, servicesOff, type TestDatabase } from './helpers/postgres.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';
import { TcpLink } from './helpers/tcp-link.js';

describe.skipIf(servicesOff)('a node stopped while PostgreSQL is silent', () => {
  let db: TestDatabase;
  let link: TcpLink;
  let server: TestServer | undefined;
  const logs = captureLogs('warn');

  beforeAll(async () => {
    db = await createTestDatabase();
    link = TcpLink.to(db.url);
    await link.up();
    server = await startTestServer({ databaseUrl: link.via(db.url), databasePoolSize: 4, logLevel: 'warn' }, { logger: logs.logger });
  });
  afterAll(async () => {
    link?.heal();
    await server?.stop();
    await link?.down();
    await db?.drop();
  });

  it('stops without waiting for each of its writes to time out, and says what it could not write', async () => {
    const s = server!;
    const sent = await s.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557800101', body: 'before the silence' } });
    expect(sent.status).toBe(201);
    const id = (sent.body as { id: string }).id;
    await eventually(async () => ((await s.api(`/api/messaging/logs/${id}`)).body as { status: string }).status === 'delivered' || undefined);

    link.silence();
    await s.stop();
    server = undefined;

    const notStopped = logs.matching('could not mark this node stopped');
    expect(notStopped).toHaveLength(1);
    expect(notStopped[0]!.err.message).toMatch(/while the node is stopping/);
  }, 20_000);
});
