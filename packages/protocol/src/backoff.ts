/**
 * Retry delays as data: every retrying component (carrier dispatch, webhook delivery, SMPP binds,
 * the SDK's reconnects, storage retries) describes its schedule with one `BackoffPolicy` and asks
 * `backoffDelay` for the wait before a retry, so the formula exists once.
 */

/** A capped exponential schedule, optionally with proportional jitter. */
export interface BackoffPolicy {
  /** Delay before the first retry (retry 0), in ms. */
  readonly initialMs: number;
  /** The longest delay, in ms; the schedule stays here once it reaches it. */
  readonly maxMs: number;
  /** Growth per retry (default 2). */
  readonly factor?: number;
  /** Spread as a fraction of the delay: 0.25 draws from ×0.75 to ×1.25 (default 0: none). */
  readonly jitter?: number;
}

/**
 * The wait before retry number `retry` (0 for the first retry) under `policy`, in whole ms.
 * `random` is injectable so tests are deterministic.
 */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const n = Math.max(0, Math.floor(retry));
  // factor ** n may overflow to Infinity for huge n; Math.min caps it at maxMs either way.
  const base = Math.min(policy.maxMs, policy.initialMs * (policy.factor ?? 2) ** n);
  const jitter = policy.jitter ?? 0;
  return Math.round(jitter > 0 ? base * (1 - jitter + random() * 2 * jitter) : base);
}
