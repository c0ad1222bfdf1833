/**
 * Idempotency keys of message creates: a client's key (per project) → the message its first
 * request created and a fingerprint of that request, for 24 hours. A key is written in the
 * transaction that writes its message, so a crash never separates them.
 */

/** One key, as recorded with the message it created. */
export interface IdempotencyRecord {
  readonly projectId: string;
  readonly key: string;
  /** Fingerprint of the normalised request (`domain/idempotency.ts`). */
  readonly requestHash: string;
  readonly messageId: string;
  readonly createdAt: number;
  /** After this (ms) the key is free again and the row may be deleted. */
  readonly expiresAt: number;
}

export interface IdempotencyRepository {
  /**
   * Record keys for messages being created (inside their transaction). A key still live for its
   * project is left alone; an expired one is replaced. Returns the keys recorded: a key missing from
   * the answer belongs to another request (concurrent ones wait for each other on the unique key).
   */
  claimMany(records: readonly IdempotencyRecord[], now: number): Promise<IdempotencyRecord[]>;
  /** The live record of a key of the project, if any. */
  get(projectId: string, key: string, now: number): Promise<IdempotencyRecord | undefined>;
  /** Delete up to `limit` keys expired at `now`; returns how many (bounded clean-up). */
  deleteExpired(now: number, limit: number): Promise<number>;
}
