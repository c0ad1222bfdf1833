/**
 * Group commit: callers add items and get a promise; everything added within one turn of the
 * event loop (up to `maxBatch`) is handed to `flush` together, so N concurrent requests cost one
 * database transaction instead of N. Flushes run one at a time, in order.
 */
interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private scheduled = false;
  private running = false;
  private flushing = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    /** Must return one result per item, in order, or throw to fail the whole batch. */
    private readonly flush: (items: I[]) => Promise<R[]>,
    private readonly maxBatch = 1000,
  ) {}

  /** Queue one item; resolves with its result once its batch is committed. */
  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Queue many items at once. */
  addMany(items: readonly I[]): Promise<R[]> {
    return Promise.all(items.map((i) => this.add(i)));
  }

  /** Items waiting or being flushed. */
  get pending(): number {
    return this.queue.length + this.flushing;
  }

  /** Resolves once nothing is queued or in flight. */
  async drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.flushing = batch.length;
        try {
          const results = await this.flush(batch.map((p) => p.item));
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
        this.flushing = 0;
      }
    } finally {
      this.running = false;
      if (this.queue.length) this.schedule();
      else {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
