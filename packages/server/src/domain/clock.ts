/** Source of the current time, injected so tests control time. */
export interface Clock {
  now(): number;
  /**
   * Call `fn` once this clock reads `at` (ms since the epoch) or later; returns a function that
   * cancels it. Timers never keep the process alive. Background work (work loops, timer heaps)
   * arms its wake-ups here, so a manual clock moved forward fires them at once.
   */
  setTimer?(at: number, fn: () => void): () => void;
}

/** The longest delay `setTimeout` honours. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    // Node fires a delay above 2^31 - 1 ms (24.8 days; a send may be scheduled 35 days out) at
    // once: wake at the cap instead, and the caller, finding nothing due, arms again.
    const t = setTimeout(fn, Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - Date.now())));
    t.unref();
    return () => clearTimeout(t);
  },
};

interface ManualTimer {
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock tests move by hand (engine tests, and the server with `simulator.clock: "manual"`).
 * Time stands still until `advance` or `set`; the timers armed on it fire, in due order, when
 * the clock is moved past them.
 */
export class ManualClock implements Clock {
  private readonly timers = new Set<ManualTimer>();

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  /** Move forward by `ms` (never backward: a negative or non-finite step is refused). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a manual clock moves forward only (got ${ms} ms)`);
    this.current += ms;
    this.fireDue();
  }

  set(ms: number): void {
    this.current = ms;
    this.fireDue();
  }

  /** Timers armed and not fired yet. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  setTimer(at: number, fn: () => void): () => void {
    const timer: ManualTimer = { at, fn };
    this.timers.add(timer);
    // Already due (a zero delay): fire on the next turn, as a wall-clock timer would.
    if (at <= this.current) setImmediate(() => this.fireDue());
    return () => void this.timers.delete(timer);
  }

  private fireDue(): void {
    const due = [...this.timers].filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at);
    for (const t of due) {
      this.timers.delete(t);
      // One failing must not keep the others from firing; its error surfaces as a timer's would.
      try {
        t.fn();
      } catch (err) {
        setImmediate(() => {
          throw err;
        });
      }
    }
  }
}
