/** Row counts of the tables a request could write, read through the test server's store. */
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { TestServer } from './server.js';

const TABLES = ['messages', 'message_events', 'jobs', 'webhook_deliveries', 'handset_messages', 'phone_numbers'] as const;

export type RowCounts = Record<(typeof TABLES)[number], number>;

export async function rowCounts(server: TestServer): Promise<RowCounts> {
  const db = (server.store as KyselyStore).db;
  const out = {} as RowCounts;
  for (const table of TABLES) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}
