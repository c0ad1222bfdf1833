import { backoffDelay, type BackoffPolicy } from '@switchboard/protocol';

/**
 * The database cannot be used now: it cannot be reached (connection refused or lost, server shutting
 * down) or it cannot store data (disk full, read-only, I/O error; each dialect maps its engine's
 * errors). Surfaces answer "temporarily unavailable" and the caller may retry. An operation cut off before its commit left
 * nothing behind; one cut off during the commit itself may or may not have been committed.
 */
export class StoreUnavailableError extends Error {
  /**
   * `read-only`: the database answers, reads too, but takes no writes (a PostgreSQL standby, or
   * `default_transaction_read_only`): its address and credentials are fine, so advice to check them misleads.
   */
  readonly reason: 'read-only' | undefined;

  constructor(message: string, options?: { cause?: unknown; reason?: 'read-only' }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
    this.reason = options?.reason;
  }
}

/**
 * The database was silent through the node's stop (`store.stopping()`): from now on every statement of
 * this process fails at once with this error, so waiting to try a write again gains nothing and only
 * makes the stop longer. Work that retries while stopping gives up at once on it.
 */
export class StoreSilentAtStopError extends StoreUnavailableError {}

/** True for errors that mean the database is unreachable or cannot store data, rather than that the request was wrong. */
export function isStoreUnavailable(err: unknown): err is StoreUnavailableError {
  return err instanceof StoreUnavailableError;
}

/**
 * How work that must not be given up waits while storage is unavailable (the journal's state
 * changes, webhook attempts' bookkeeping, SMPP part records): capped doubling from 200 ms to 5 s,
 * with jitter so nodes and loops do not retry in step.
 */
export const STORAGE_RETRY: BackoffPolicy = { initialMs: 200, maxMs: 5_000, jitter: 0.2 };

/**
 * Once the node stops, a write that storage still refuses gets this many attempts in all, so the
 * stop ends (the journal's state changes are re-armed at the next start by receipt recovery; SMPP
 * part records are logged as given up).
 */
export const ATTEMPTS_WHILE_STOPPING = 3;

/**
 * How long a write that storage refused (`attempt` attempts so far) waits before it is tried again,
 * or null to give it up: never while the node runs (`STORAGE_RETRY`); once stopping, after
 * `ATTEMPTS_WHILE_STOPPING` attempts, and at once on a store silent through the stop
 * (`StoreSilentAtStopError`), whose further attempts would only wait out their backoff (200 ms,
 * then 400 ms, each batch after another: 1-3 s added to a stop the silence had given its 6 s).
 * Errors other than unavailability are never retried.
 */
export function storageRetryDelay(err: unknown, attempt: number, stopping: boolean): number | null {
  if (!isStoreUnavailable(err)) return null;
  if (stopping && (attempt >= ATTEMPTS_WHILE_STOPPING || err instanceof StoreSilentAtStopError)) return null;
  return backoffDelay(STORAGE_RETRY, attempt - 1);
}

/**
 * Run `work`, and again while storage refuses it (`STORAGE_RETRY`'s waits), as long as the next try
 * would start before `until` and `stopped()` is false; then the last error goes to the caller. For
 * reads that claimed work needs before its lease runs out (a callback's signing and token keys).
 */
export async function retryWhileUnavailable<T>(work: () => Promise<T>, until: number, clock: { now(): number }, stopped: () => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const delay = stopped() ? null : storageRetryDelay(err, attempt, false);
      if (delay === null || clock.now() + delay >= until) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
