/**
 * The PostgreSQL store when the server cannot store anything though it still answers: here a
 * read-only session (SQLSTATE 25006, as on a standby after failover); disk full (53100) and I/O
 * errors (58030) take the same path. Writes fail with `StoreUnavailableError` naming the SQLSTATE
 * and keeping PostgreSQL's error as the cause (surfaces answer 503, not 500), and reads go on. A
 * connection that reported a read-only refusal or a timeout is replaced: such settings may be its
 * session's own (`ALTER DATABASE … SET` reaches only new sessions, its reset too), and the next
 * connection reads them as they are now.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/domain/ports/store.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { WRITE_ONLY } from '../../src/store/write-only.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('the PostgreSQL store when the server refuses writes', () => {
  let database: TestDatabase;
  let store: KyselyStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so the session setting below applies to every query.
    store = await openPostgresStore({ url: database.url, poolSize: 1 });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('fails writes with StoreUnavailableError naming the SQLSTATE, serves reads, and writes again on a new connection', async () => {
    const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(store.db)).rows[0]!.pid;
    for (const write of [() => store.leases.acquire('storage-test', 'me', 0, 60_000), () => store.transaction((tx) => tx.leases.acquire('storage-test', 'me', 0, 60_000))]) {
      const before = await pid();
      await sql`set default_transaction_read_only = on`.execute(store.db);
      expect(await store.leases.list()).toEqual([]);
      const err = await write().then(
        () => null,
        (e: unknown) => e as Error & { cause?: { code?: string } },
      );
      expect(isStoreUnavailable(err)).toBe(true);
      expect(err!.message).toMatch(/read-only transaction.*\(SQLSTATE 25006\)/);
      expect(err!.cause).toMatchObject({ code: '25006' });
      expect(await pid()).not.toBe(before);
    }
    // The new session has the database's settings: it writes.
    expect(await store.leases.acquire('storage-test', 'me', 0, 60_000)).toBe(true);
  });

  it('fails a statement over statement_timeout with StoreUnavailableError, a held one at its COMMIT too, and replaces the connection', async () => {
    const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(store.db)).rows[0]!.pid;
    const before = await pid();
    await sql`set statement_timeout = 50`.execute(store.db);
    try {
      const slow = await sql`select pg_sleep(0.5)`.execute(store.db).then(() => null, (e: unknown) => e as Error & { cause?: { code?: string } });
      expect(isStoreUnavailable(slow)).toBe(true);
      expect(slow!.message).toMatch(/statement timeout.*\(SQLSTATE 57014\)/);
      expect(slow!.cause).toMatchObject({ code: '57014' });

      // A write-only statement is held and sent with the COMMIT (postgres-pipeline.ts): its timeout is reported there, and nothing is committed.
      const held = await store.db
        .transaction()
        .execute(async (trx) => {
          // The session that timed out above was replaced: this one has no timeout of its own.
          await sql`set local statement_timeout = 50`.execute(trx);
          await sql`insert into cluster_leases (name, owner, expires_at, acquired_at) values ('timeout-test', 'me', 0, 0)`.execute(trx);
          await sql.raw(`select pg_sleep(0.5) ${WRITE_ONLY}`).execute(trx);
        })
        .then(() => null, (e: unknown) => e as Error);
      expect(isStoreUnavailable(held)).toBe(true);
      expect(held!.message).toMatch(/\(SQLSTATE 57014\)/);
      expect((await store.leases.list()).map((l) => l.name)).not.toContain('timeout-test');
    } finally {
      await sql`set statement_timeout = 0`.execute(store.db);
    }
    expect(await pid()).not.toBe(before);
    expect(await sql`select pg_sleep(0.1)`.execute(store.db)).toBeDefined();
  });
});
