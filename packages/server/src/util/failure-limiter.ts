/**
 * Failures counted per key (a client address, a project id), for the limits on failed
 * authentication (`AuthThrottle` for HTTP and RELAY, the simulator SMSC's binds). Each key has a
 * token bucket of failures (`burst`, refilled at `perMinute`); only failures take from it. While a
 * key's bucket is empty the key is limited: callers refuse it before checking its credentials. No
 * timers: buckets refill when read.
 *
 * Memory is bounded: the most recently used `maxKeys` keys are kept (a forgotten key starts again
 * with a full bucket).
 */
import { RecentMap } from './recent-map.js';
import { TokenBucket } from './token-bucket.js';

/** Failures one key may have at once, and how fast they are forgiven. */
export interface FailureBudget {
  readonly burst: number;
  readonly perMinute: number;
}

interface Entry {
  readonly bucket: TokenBucket;
  /** Reported as limited in this episode (it ends when the bucket has refilled completely). */
  limited: boolean;
}

export class FailureLimiter {
  private readonly keys: RecentMap<Entry>;

  /** `onLimited`: a key starts being limited, called once per episode. */
  constructor(
    private readonly budget: FailureBudget,
    maxKeys: number,
    private readonly onLimited?: (key: string, retryAfterMs: number) => void,
  ) {
    this.keys = new RecentMap(maxKeys);
  }

  /** Keys held (at most `maxKeys`). */
  get size(): number {
    return this.keys.size;
  }

  /** How long until the key may fail again (0: now). */
  waitOf(key: string, now: number): number {
    const entry = this.keys.get(key);
    if (!entry) return 0;
    const wait = entry.bucket.nextAt(now) - now;
    if (wait > 0) this.mark(key, entry, wait);
    else if (entry.bucket.isFull(now)) entry.limited = false;
    return wait;
  }

  /** Take one failure; returns how long to wait when there was none to take (0 when taken). */
  take(key: string, now: number): number {
    let entry = this.keys.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.budget.perMinute / 60, this.budget.burst, now), limited: false };
      this.keys.set(key, entry);
    }
    if (entry.limited && entry.bucket.isFull(now)) entry.limited = false;
    if (entry.bucket.take(now)) return 0;
    const wait = Math.max(1, entry.bucket.nextAt(now) - now);
    this.mark(key, entry, wait);
    return wait;
  }

  private mark(key: string, entry: Entry, wait: number): void {
    if (entry.limited) return;
    entry.limited = true;
    this.onLimited?.(key, wait);
  }
}
