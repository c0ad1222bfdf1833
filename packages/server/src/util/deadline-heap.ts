/**
 * Values by deadline, earliest first (a binary min-heap): for sweeps that should cost what is due,
 * not what is held. No removal: a caller whose values can go away otherwise checks each one it pops
 * (and rebuilds the heap from what it holds when stale entries pile up).
 */
export class DeadlineHeap<T> {
  private heap: Array<{ readonly at: number; readonly value: T }> = [];

  get size(): number {
    return this.heap.length;
  }

  push(at: number, value: T): void {
    const h = this.heap;
    h.push({ at, value });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
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

  clear(): void {
    this.heap = [];
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
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top.value;
  }
}
