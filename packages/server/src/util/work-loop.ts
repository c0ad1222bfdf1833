import { ManualClock, type Clock, type TimerOptions } from '../domain/clock.js';
import { armTimer } from './timer-queue.js';

/** Where a `WorkLoop` reports its passes: each failure, and (optionally) each success. */
export interface PassReports {
  failed(err: unknown): void;
  succeeded?(): void;
}

/**
 * The scheduling shared by the background runners (dispatcher, webhook runner): wake-ups are
 * coalesced into one pass per turn of the event loop, one timer waits for the next due item, at
 * most one pass runs at a time, and the work a pass starts is tracked so `stop` can wait for it.
 * Runners are woken by the bus when work is written; they never poll in a loop. Given a `Clock`,
 * the timer is armed on it, so a manual clock moved forward runs the pass that came due.
 */
export class WorkLoop {
  private running = false;
  private stopping = false;
  private scheduled = false;
  private passing = false;
  private wokenWhilePassing = false;
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private readonly clock: Clock;
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * @param pass looks for work and starts it (tracking it with `track`); runs again when woken
   * @param clock the clock due times are read on (a bare `now` function: wall-clock timers)
   * @param passes a failed pass is reported and retried a second later; a pass that succeeds is
   *   reported too (`succeeded`), so a run of failures can be logged once and its end with it
   */
  constructor(
    private readonly pass: () => Promise<void>,
    clock: Clock | (() => number),
    private readonly passes: PassReports,
    /** Told when an armed due time is reached, before the pass it wakes. */
    private readonly onDue: () => void = () => {},
    /**
     * A manual clock moved in steps waits for the work this loop tracks (webhook attempts), not
     * only for its passes. Not for work that itself waits on the clock (a carrier submit the
     * simulator holds for its delay): that would hold every step.
     */
    private readonly clockWaitsForWork = false,
  ) {
    this.clock = typeof clock === 'function' ? { now: clock } : clock;
  }

  private now(): number {
    return this.clock.now();
  }

  /** Pieces of work started by passes and not finished yet. */
  get active(): number {
    return this.inFlight.size;
  }

  /** True once `stop` was called: passes should start nothing new. */
  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  /** Run a pass soon (once, however many times this is called before it runs). */
  wake(): void {
    if (!this.running || this.stopping || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  /** Run a pass at `at` (ms) unless one is already due earlier; a `poll` is not a stop for a manual clock moved in steps. */
  armAt(at: number, opts: TimerOptions = {}): void {
    if (this.stopping) return;
    if (this.cancelTimer && this.timerAt <= at) return;
    this.cancelTimer?.();
    this.timerAt = at;
    // 5 ms late on a wall clock, so the pass finds the item due; a manual clock is exact.
    this.cancelTimer = armTimer(this.clock, this.clock instanceof ManualClock ? at : at + 5, () => {
      this.cancelTimer = undefined;
      this.timerAt = Infinity;
      this.onDue();
      this.wake();
    }, opts);
  }

  /** Track work a pass started; when it settles, look for more. Its failure goes to `onError`. */
  track(work: Promise<unknown>, onError: (err: unknown) => void): void {
    const p: Promise<void> = work
      .then(
        () => undefined,
        (err: unknown) => onError(err),
      )
      .finally(() => {
        this.inFlight.delete(p);
        this.wake();
      });
    this.inFlight.add(p);
    if (this.clockWaitsForWork) this.clock.track?.(p);
  }

  /** Start nothing new; wait for the pass and the work in flight to finish. */
  /**
   * Start nothing new and wait for the work in flight, for at most `graceMs` of wall-clock time
   * (never the runner's clock: a manual clock nobody moves while the server stops would make a
   * wait on it endless). Work still running after that goes on in the background.
   */
  async stop(graceMs = Infinity): Promise<void> {
    this.stopping = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = Number.isFinite(graceMs) ? new Promise<'over'>((r) => (timer = setTimeout(() => r('over'), graceMs))) : null;
    try {
      while (this.inFlight.size || this.passing) {
        const round = Promise.all([...this.inFlight, new Promise((r) => setImmediate(r))]);
        if ((await (graceOver ? Promise.race([round, graceOver]) : round)) === 'over') break;
      }
    } finally {
      clearTimeout(timer);
    }
    this.running = false;
  }

  private async run(): Promise<void> {
    if (this.passing) {
      // Woken while a pass runs: the work that woke it may have come after the pass looked.
      this.wokenWhilePassing = true;
      return;
    }
    this.passing = true;
    this.wokenWhilePassing = false;
    // A pass that starts once the loop is stopping looks for no work (runners check `stopped`), so
    // its success says nothing: reported, it logged "claiming dispatch jobs succeeds again" in the
    // middle of a stop whose database had been silent all along.
    const startedStopping = this.stopping;
    try {
      const pass = this.pass();
      this.clock.track?.(pass);
      await pass;
      if (!startedStopping) this.passes.succeeded?.();
    } catch (err) {
      this.passes.failed(err);
      this.armAt(this.now() + 1000);
    } finally {
      this.passing = false;
      if (this.wokenWhilePassing) this.wake();
    }
  }
}
