/**
 * Values by deadline, earliest first (a binary min-heap; values with the same deadline in the order
 * they were pushed): for sweeps that should cost what is due, not what is held, and for TimerQueue.
 * No removal: a caller whose values can go away otherwise checks each one it pops (and rebuilds the
 * heap from what it holds when stale entries pile up).
 */
interface Entry<T> {
  readonly at: number;
  readonly order: number;
  readonly value: T;
}

export class DeadlineHeap<T> {
  private heap: Entry<T>[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The earliest deadline held, if any. */
  get nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  push(at: number, value: T): void {
    const h = this.heap;
    h.push({ at, order: this.counter++, value });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i]!, h[parent]!)) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** Remove and return the values whose deadline is at or before `now`, earliest first. */
  popDue(now: number): T[] {
    const due: T[] = [];
    while (this.heap.length && this.heap[0]!.at <= now) due.push(this.popTop());
    return due;
  }

  /** Remove everything; returns what was held, in no particular order. */
  clear(): T[] {
    const held = this.heap.map((e) => e.value);
    this.heap = [];
    return held;
  }

  private popTop(): T {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top.value;
  }
}

const less = <T>(a: Entry<T>, b: Entry<T>): boolean => a.at < b.at || (a.at === b.at && a.order < b.order);
