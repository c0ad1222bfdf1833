/**
 * What differs between SQL engines beyond column types: row locking for work queues and how
 * constraint violations are recognised. Each dialect file provides one of these.
 */
import type { SelectQueryBuilder } from 'kysely';
import type { StoreDialect } from '../domain/ports/store.js';

export interface DialectTraits {
  readonly name: StoreDialect;
  /** Make a claim sub-select skip rows other workers hold (`FOR UPDATE SKIP LOCKED` on PostgreSQL). */
  lockForClaim<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** True when an error is a unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
}
