/**
 * Many future callbacks on one timer: a DeadlineHeap ordered by due time (ties in schedule order). Used where a naive
 * design would start one `setTimeout` per message (simulator receipts, delays). Given a `Clock`,
 * its one timer is armed on that clock, so a manual clock moved forward fires what came due.
 */
import { systemClock, type Clock, type TimerOptions } from '../domain/clock.js';
import { DeadlineHeap } from './deadline-heap.js';

/** A timer at `at` on `clock`: its own when it has timers, else a wall-clock timeout measured by its `now`. */
export function armTimer(clock: Clock, at: number, fn: () => void, opts?: TimerOptions): () => void {
  if (clock.setTimer) return clock.setTimer(at, fn, opts);
  const t = setTimeout(fn, Math.max(0, at - clock.now()));
  t.unref?.();
  return () => clearTimeout(t);
}

export class TimerQueue<T> {
  private readonly heap = new DeadlineHeap<T>();
  private cancelTimer: (() => void) | undefined;
  private readonly clock: Clock;
  private timerAt = Infinity;
  private stopped = false;

  /**
   * @param fire called with every value that is due, in due order, in one batch per wake-up
   * @param clock the clock due times are read on (a bare `now` function: wall-clock timers)
   */
  constructor(
    private readonly fire: (values: T[]) => void,
    clock: Clock | (() => number) = systemClock,
  ) {
    this.clock = typeof clock === 'function' ? { now: clock } : clock;
  }

  private now(): number {
    return this.clock.now();
  }

  get size(): number {
    return this.heap.size;
  }

  /** Run `value` at time `at` (ms). */
  schedule(at: number, value: T): void {
    if (this.stopped) return;
    this.heap.push(at, value);
    this.arm();
  }

  /** Drop everything still pending and never fire again. Returns what was pending. */
  stop(): T[] {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    return this.heap.clear();
  }

  private arm(): void {
    const at = this.heap.nextAt;
    if (at === undefined || this.stopped) return;
    if (this.cancelTimer && this.timerAt <= at) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = armTimer(this.clock, at, () => this.run());
  }

  private run(): void {
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    const due = this.heap.popDue(this.now());
    this.arm();
    if (due.length) this.fire(due);
  }
}
