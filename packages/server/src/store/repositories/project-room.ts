import type { Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { num } from '../rows.js';

/** The tables whose rows a project may keep a limited number of. */
type LimitedTable = 'phone_numbers' | 'number_groups' | 'cxml_applications';

/**
 * Whether the project has fewer than `max` rows in `table`. The project's row is held until commit
 * first, so concurrent creates of one project count one after the other (SQLite's one writer does
 * it there); inserts elsewhere that refer to the project do not wait. Call inside a transaction,
 * and insert in the same one.
 */
export async function projectHasRoom(db: Kysely<Database>, traits: DialectTraits, table: LimitedTable, projectId: string, max: number): Promise<boolean> {
  if (max === Infinity) return true;
  await traits.lockReferenced(db.selectFrom('projects').select('id').where('id', '=', projectId)).execute();
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return num((row?.n ?? 0) as number | string | bigint) < max;
}
