import { sql } from 'kysely';
import { afterAll, describe } from 'vitest';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

// One database for the file, emptied after every test: copying and dropping a database per test
// would cost ten times the tests themselves.
let database: Promise<TestDatabase> | undefined;
afterAll(async () => {
  if (database) await (await database).drop();
});

describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeStoreContract(
    'postgres',
    async () => {
      const db = await (database ??= createTestDatabase());
      const store = await openPostgresStore({ url: db.url, poolSize: 4 });
      return {
        store,
        isUniqueViolation: (err) => store.isUniqueViolation(err),
        close: async () => {
          const { rows } = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = current_schema() and tablename not like 'schema_migrations%'`.execute(store.db);
          await sql`truncate ${sql.join(rows.map((r) => sql.table(r.tablename)))} restart identity cascade`.execute(store.db);
          await store.close();
        },
      };
    },
    { knownBugs: [] },
  );
});
