/**
 * Many future callbacks on one timer: a binary min-heap ordered by due time. Used where a naive
 * design would start one `setTimeout` per message (simulator receipts, delays).
 */
interface Entry<T> {
  at: number;
  order: number;
  value: T;
}

export class TimerQueue<T> {
  private heap: Entry<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private counter = 0;
  private stopped = false;

  /**
   * @param fire called with every value that is due, in due order, in one batch per wake-up
   * @param now clock in ms
   */
  constructor(
    private readonly fire: (values: T[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

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
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.heap.map((e) => e.value);
    this.heap = [];
    return pending;
  }

  private arm(): void {
    const head = this.heap[0];
    if (!head || this.stopped) return;
    if (this.timer && this.timerAt <= head.at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = head.at;
    const delay = Math.max(0, head.at - this.now());
    this.timer = setTimeout(() => this.run(), delay);
    this.timer.unref?.();
  }

  private run(): void {
    this.timer = undefined;
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
