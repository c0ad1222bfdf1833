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
  /** Flushes running now (at most `concurrency`). */
  private running = 0;
  private flushing = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    /** Must return one result per item, in order, or throw to fail the whole batch; `attempt` counts from 1 (a retry of the same batch is 2 and up). */
    private readonly flush: (items: I[], attempt: number) => Promise<R[]>,
    private readonly maxBatch = 1000,
    /**
     * For failures worth waiting out (the database is unreachable): the delay before flushing the
     * same batch again, or null to fail it. Default: fail at once.
     */
    private readonly retryAfter: (err: unknown, attempt: number) => number | null = () => null,
    /**
     * Flushes that may run at once, each on its own batch. One keeps batches in order; more suit a
     * store with a pool of connections, where a flush mostly waits on round trips (PostgreSQL).
     */
    private readonly concurrency = 1,
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
    if (this.running === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.concurrency) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running >= this.concurrency) return;
    this.running++;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.flushing += batch.length;
        const items = batch.map((p) => p.item);
        for (let attempt = 1; ; attempt++) {
          try {
            const results = await this.flush(items, attempt);
            for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
            break;
          } catch (err) {
            const delay = this.retryAfter(err, attempt);
            if (delay === null) {
              for (const p of batch) p.reject(err);
              break;
            }
            await new Promise((r) => setTimeout(r, delay));
          }
        }
        this.flushing -= batch.length;
      }
    } finally {
      this.running--;
      if (this.queue.length) this.schedule();
      else if (this.running === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
