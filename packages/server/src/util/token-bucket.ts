/**
 * A token bucket, refilled lazily on use (no timers): `rate` tokens per second up to `burst`.
 * `take` says whether one may go now, `nextAt` when the next token will be there — so an SMPP
 * connector arms one timer and waits (queueing, not refusing), and RELAY tells a client when to retry.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param rate tokens per second (> 0)
   * @param burst most tokens held at once (at least 1)
   */
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
  }

  /** Take `n` tokens (one by default; a byte budget takes a frame's size) if there are that many. */
  take(now: number, n = 1): boolean {
    this.refill(now);
    if (this.tokens >= n) {
      this.tokens -= n;
      return true;
    }
    return false;
  }

  /** Take `n` tokens whatever there is, going into debt (paid back before `take` succeeds again). */
  charge(now: number, n: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** The tokens there are now (below zero while in debt). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** True when the bucket has refilled to its burst (nothing taken lately). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  /** When `n` whole tokens (one by default) will be available (ms). */
  nextAt(now: number, n = 1): number {
    this.refill(now);
    return this.tokens >= n ? now : now + Math.ceil(((n - this.tokens) * 1000) / this.rate);
  }
}
