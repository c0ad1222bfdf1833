import type { RepeatedFailure } from './log-limiter.js';

/**
 * A housekeeping pass run on a timer (deleting expired rows, say): every `intervalMs` on a timer
 * that does not hold the process open, one pass at a time (a call during a pass gets that pass),
 * its failures logged once per streak. `stop` ends the timer and waits for the pass under way.
 */
export class PeriodicPass<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;

  constructor(private readonly pass: () => Promise<T>) {}

  /** Run a pass every `intervalMs`, reporting each outcome to `failures`. */
  start(intervalMs: number, failures: RepeatedFailure): void {
    this.timer = setInterval(
      () =>
        void this.now().then(
          () => failures.succeeded(),
          (err: unknown) => failures.failed(err),
        ),
      intervalMs,
    );
    this.timer.unref();
  }

  /** One pass now, or the one under way. */
  now(): Promise<T> {
    return (this.running ??= this.pass().finally(() => (this.running = undefined)));
  }

  /** No more passes on the timer; resolves once the pass under way (if any) has ended, however it ended. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
