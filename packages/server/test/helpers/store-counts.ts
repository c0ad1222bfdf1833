/**
 * Row counts of the tables a request could write, read through the test server's store: what a
 * refused request must leave as it found it. Jobs and events are counted only when their message
 * does not exist (half-written): earlier tests' messages may still be moving on meanwhile (a job
 * finished, an event added), which is not this request's doing.
 */
import { sql } from 'kysely';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { TestServer } from './server.js';

const TABLES = ['messages', 'webhook_deliveries', 'handset_messages', 'phone_numbers'] as const;
const BY_MESSAGE = ['jobs', 'message_events'] as const;

export type RowCounts = Record<(typeof TABLES)[number] | `orphan_${(typeof BY_MESSAGE)[number]}`, number>;

export async function rowCounts(server: TestServer): Promise<RowCounts> {
  const db = (server.store as KyselyStore).db;
  const out = {} as RowCounts;
  for (const table of TABLES) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  for (const table of BY_MESSAGE) {
    const row = await db
      .selectFrom(table)
      .where(sql<boolean>`not exists (select 1 from messages m where m.id = ${sql.ref(`${table}.message_id`)})`)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[`orphan_${table}`] = Number(row.n);
  }
  return out;
}
