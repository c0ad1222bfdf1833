/** Source of the current time, injected so tests control time. */
export interface Clock {
  now(): number;
  /**
   * Call `fn` once this clock reads `at` (ms since the epoch) or later; returns a function that
   * cancels it. Timers never keep the process alive. Background work (work loops, timer heaps)
   * arms its wake-ups here, so a manual clock moved forward fires them at once.
   */
  setTimer?(at: number, fn: () => void, opts?: TimerOptions): () => void;
  /**
   * Work a timer started (a work loop's pass, a simulated handset delivery, a store call): a clock
   * moved in steps (ManualClock.advanceInSteps) waits for it before its next stop. Wall clocks have none.
   */
  track?(work: Promise<unknown>): void;
}

export interface TimerOptions {
  /**
   * A poll (a periodic look for work, such as receipt reconciliation's tick) rather than work that
   * came due: a manual clock moved in steps does not stop at its due time, only fires it on the way.
   */
  readonly poll?: boolean;
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
  readonly poll: boolean;
}

/**
 * How `advanceInSteps` waits, after each stop, for the work it started to arm what follows it:
 * the tracked work first (at most `maxMs`), then until `quietRounds` rounds of `roundMs` in a row
 * arm and fire no timer and track no work.
 */
export interface SettleOptions {
  readonly quietRounds: number;
  readonly roundMs: number;
  readonly maxMs: number;
  /** Wall-clock time one advance may spend stopping; past it, the rest is one jump (as after `maxSteps`). */
  readonly totalMs: number;
}

export const DEFAULT_SETTLE: SettleOptions = { quietRounds: 3, roundMs: 3, maxMs: 5_000, totalMs: 20_000 };

/** How many due times one `advanceInSteps` stops at before it jumps the rest of the way. */
export const MAX_CLOCK_STEPS = 1_000;

/**
 * A clock tests move by hand (engine tests, and the server with `simulator.clock: "manual"`).
 * Time stands still until `advance` or `set`; the timers armed on it fire, in due order, when
 * the clock is moved past them.
 */
export class ManualClock implements Clock {
  private readonly timers = new Set<ManualTimer>();
  /** Timers armed or fired and work tracked so far: `advanceInSteps` reads a step's work by its changes. */
  private activity = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stepping: Promise<unknown> = Promise.resolve();

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

  /**
   * Move forward by `ms` as time would pass: stop at each armed timer's due time in turn (polls
   * excepted), fire what is due there, and let `settle` wait for the work that started to arm
   * what follows it, so a chain of delays (accepted, then the receipt `D` later; a webhook's
   * retries) runs to the end of the step, each link at its own time. After `maxSteps` stops, or
   * `settle.totalMs` of wall-clock time, it jumps the rest of the way. Concurrent calls run one after another; resolves with the stops made.
   */
  advanceInSteps(ms: number, settle: SettleOptions = DEFAULT_SETTLE, maxSteps = MAX_CLOCK_STEPS): Promise<number> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a manual clock moves forward only (got ${ms} ms)`);
    return this.stepTo(() => this.current + ms, settle, maxSteps);
  }

  /**
   * Move forward to `at` as `advanceInSteps` does (after the advances already under way); nothing
   * when the clock reads `at` or later by then: it never moves backward. Resolves with the stops made.
   */
  advanceToInSteps(at: number, settle: SettleOptions = DEFAULT_SETTLE, maxSteps = MAX_CLOCK_STEPS): Promise<number> {
    if (!Number.isFinite(at)) throw new RangeError(`a manual clock moves to a finite time (got ${at})`);
    return this.stepTo(() => Math.max(this.current, at), settle, maxSteps);
  }

  private stepTo(targetOf: () => number, settle: SettleOptions, maxSteps: number): Promise<number> {
    const run = this.stepping.then(async () => {
      const target = targetOf();
      const giveUpAt = Date.now() + settle.totalMs;
      // Work under way before the advance (a send just answered, whose job the dispatcher is still
      // reading on its way to arm the send time) arms its timers first, or the first stop misses them.
      await this.settle(settle);
      let steps = 0;
      for (let next = this.nextStepAt(); next !== undefined && next <= target && steps < maxSteps && Date.now() < giveUpAt; next = this.nextStepAt()) {
        steps++;
        this.current = Math.max(this.current, next);
        this.fireDue();
        await this.settle(settle);
      }
      this.current = target;
      this.fireDue();
      // What came due at the end is under way when the advance answers (bounded as each stop is).
      if (Date.now() < giveUpAt) await this.settle(settle);
      return steps;
    });
    this.stepping = run.catch(() => undefined);
    return run;
  }

  /**
   * Work started by a timer (a work loop's pass and what it started, a simulated handset delivery):
   * `advanceInSteps` waits for it before it moves on, so what it arms is armed at its own time.
   */
  track(work: Promise<unknown>): void {
    const p: Promise<unknown> = work.then(
      () => this.inFlight.delete(p),
      () => this.inFlight.delete(p),
    );
    this.inFlight.add(p);
    this.activity++;
  }

  private async settle(o: SettleOptions): Promise<void> {
    const deadline = Date.now() + o.maxMs;
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    for (let quiet = 0; quiet < o.quietRounds && Date.now() < deadline; ) {
      if (this.inFlight.size) {
        // The deadline's timer is cleared once the work settles: left armed, each round kept one
        // for up to `maxMs`, holding the process open that long after a test or a shutdown.
        let timer: NodeJS.Timeout | undefined;
        const deadlinePassed = new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
        await Promise.race([Promise.all([...this.inFlight]), deadlinePassed]);
        clearTimeout(timer);
      }
      const before = this.activity;
      await wait(o.roundMs);
      quiet = this.activity === before && this.inFlight.size === 0 ? quiet + 1 : 0;
    }
  }

  private nextStepAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) if (!t.poll && (next === undefined || t.at < next)) next = t.at;
    return next;
  }

  setTimer(at: number, fn: () => void, opts: TimerOptions = {}): () => void {
    const timer: ManualTimer = { at, fn, poll: opts.poll === true };
    this.activity++;
    this.timers.add(timer);
    // Already due (a zero delay): fire on the next turn, as a wall-clock timer would.
    if (at <= this.current) setImmediate(() => this.fireDue());
    return () => void this.timers.delete(timer);
  }

  private fireDue(): void {
    const due = [...this.timers].filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at);
    for (const t of due) {
      this.timers.delete(t);
      this.activity++;
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
