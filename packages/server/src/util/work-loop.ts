/**
 * The scheduling shared by the background runners (dispatcher, webhook runner): wake-ups are
 * coalesced into one pass per turn of the event loop, one timer waits for the next due item, at
 * most one pass runs at a time, and the work a pass starts is tracked so `stop` can wait for it.
 * Runners are woken by the bus when work is written; they never poll in a loop.
 */
export class WorkLoop {
  private running = false;
  private stopping = false;
  private scheduled = false;
  private passing = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * @param pass looks for work and starts it (tracking it with `track`); runs again when woken
   * @param now clock in ms
   * @param onPassError a failed pass is reported and retried a second later
   */
  constructor(
    private readonly pass: () => Promise<void>,
    private readonly now: () => number,
    private readonly onPassError: (err: unknown) => void,
  ) {}

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

  /** Run a pass at `at` (ms) unless one is already due earlier. */
  armAt(at: number): void {
    if (this.stopping) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.wake();
      },
      Math.max(0, at - this.now()) + 5,
    );
    this.timer.unref();
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
  }

  /** Start nothing new; wait for the pass and the work in flight to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.inFlight.size || this.passing) await Promise.all([...this.inFlight, new Promise((r) => setImmediate(r))]);
    this.running = false;
  }

  private async run(): Promise<void> {
    if (this.passing) return;
    this.passing = true;
    try {
      await this.pass();
    } catch (err) {
      this.onPassError(err);
      this.armAt(this.now() + 1000);
    } finally {
      this.passing = false;
    }
  }
}
