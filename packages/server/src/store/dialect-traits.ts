/**
 * What differs between SQL engines beyond column types: row locking for work queues and how
 * constraint violations are recognised. Each dialect file provides one of these.
 */
import type { RawBuilder, SelectQueryBuilder } from 'kysely';
import type { StoreDialect } from '../domain/ports/store.js';

export interface DialectTraits {
  readonly name: StoreDialect;
  /** Make a claim sub-select skip rows other workers hold (`FOR UPDATE SKIP LOCKED` on PostgreSQL). */
  lockForClaim<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** Make a select wait for and hold the rows it reads until commit (`FOR UPDATE` on PostgreSQL; SQLite has one writer). */
  lockForUpdate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * Like `lockForUpdate`, for a row other tables refer to: inserts that refer to it still go on
   * (`FOR NO KEY UPDATE` on PostgreSQL, which their foreign-key checks' `FOR KEY SHARE` does not wait for).
   */
  lockReferenced<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * The project filter of a lookup by a unique key (id, number), or of rows a join reaches by their
   * key (`column` names the joined table's project column). Written per engine so the planner uses
   * the key's index instead of scanning all of the project's rows.
   */
  keyLookupInProject(projectId: string, column?: string): RawBuilder<boolean>;
  /** True when an error is a unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
  /** A value as the JSON text of one statement parameter that the engine reads as JSON. */
  jsonParam(value: unknown): string;
}
