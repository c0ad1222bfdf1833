import { sql, type RawBuilder } from 'kysely';

/**
 * `CASE id WHEN … THEN … ELSE <column> END`, portable across both engines: per-row values in one
 * UPDATE (the ELSE gives PostgreSQL the column's type for the parameters).
 */
export function caseById<T>(column: string, pairs: ReadonlyArray<readonly [string | number, T]>): RawBuilder<T> {
  const branches = pairs.map(([id, value]) => sql`when ${id} then ${value}`);
  return sql<T>`case id ${sql.join(branches, sql` `)} else ${sql.ref(column)} end`;
}
