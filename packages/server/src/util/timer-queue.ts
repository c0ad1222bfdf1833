/**
 * Many future callbacks on one timer: a binary min-heap ordered by due time. Used where a naive
 * design would start one `setTimeout` per message (simulator receipts, delays). Given a `Clock`,
 * its one timer is armed on that clock, so a manual clock moved forward fires what came due.
 */
import { systemClock, type Clock, type TimerOptions } from '../domain/clock.js';

/** A timer at `at` on `clock`: its own when it has timers, else a wall-clock timeout measured by its `now`. */
export function armTimer(clock: Clock, at: number, fn: () => void, opts?: TimerOptions): () => void {
  if (clock.setTimer) return clock.setTimer(at, fn, opts);
  const t = setTimeout(fn, Math.max(0, at - clock.now()));
  t.unref?.();
  return () => clearTimeout(t);
}

interface Entry<T> {
  at: number;
  order: number;
  value: T;
}

export class TimerQueue<T> {
  private heap: Entry<T>[] = [];
  private cancelTimer: (() => void) | undefined;
  private readonly clock: Clock;
  private timerAt = Infinity;
  private counter = 0;
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
    return this.heap.length;
  }

  /** Run `value` at time `at` (ms). */
  schedule(at: number, value: T): void {
    if (this.stopped) return;
    this.push({ at, order: this.counter++, value });
    this.arm();
  }

  /** Drop everything still pending and never fire again. Returns what was pending. */
  stop(): T[] {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const pending = this.heap.map((e) => e.value);
    this.heap = [];
    return pending;
  }

  private arm(): void {
    const head = this.heap[0];
    if (!head || this.stopped) return;
    if (this.cancelTimer && this.timerAt <= head.at) return;
    this.cancelTimer?.();
    this.timerAt = head.at;
    this.cancelTimer = armTimer(this.clock, head.at, () => this.run());
  }

  private run(): void {
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    const due: T[] = [];
    while (this.heap.length && this.heap[0]!.at <= now) due.push(this.pop()!.value);
    this.arm();
    if (due.length) this.fire(due);
  }

  private less(a: Entry<T>, b: Entry<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry<T> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
