/**
 * A database that keeps its connections open and never answers (a stopped or hung server, a proxy in
 * front of one) is not found by TCP keepalive: the link is alive, only the server is silent. A
 * statement sent to it must fail as the database being unavailable once its query timeout has
 * passed, not wait for ever, and the store must work again by itself once the server answers.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/domain/ports/store.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';
import { TcpLink } from '../helpers/tcp-link.js';

describe.skipIf(servicesOff)('PostgreSQL that stops answering on open connections', () => {
  let db: TestDatabase;
  let link: TcpLink;
  let store: KyselyStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    link = TcpLink.to(db.url);
    await link.up();
    store = await openPostgresStore({ url: link.via(db.url), poolSize: 2, queryTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
  });
  afterAll(async () => {
    link?.heal();
    await store?.close();
    await link?.down();
    await db?.drop();
  });

  it('gives up a statement on a silent connection as unavailable, and works again once it answers', async () => {
    await sql`select 1`.execute(store.db);
    link.silence();
    const silent = await sql`select 2`.execute(store.db).then(
      () => 'answered',
      (err: unknown) => err,
    );
    expect(silent).toBeInstanceOf(StoreUnavailableError);
    expect((silent as Error).message).toMatch(/database unavailable/);

    link.heal();
    const { rows } = await sql<{ n: number }>`select 3 as n`.execute(store.db);
    expect(rows).toEqual([{ n: 3 }]);
  });
});
