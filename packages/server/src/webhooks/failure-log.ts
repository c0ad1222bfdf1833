/**
 * Failed webhook attempts, summarised for the log: a destination's first failure is logged at once
 * (with its URL and error, so a developer sees what went wrong), then its further failures are
 * counted and written as one line per destination per interval. A dead endpoint behind a busy
 * number would otherwise write a warning per attempt, thousands a minute, and bury everything else.
 * Every attempt stays in the webhook attempt log (console, API); only the process log is summarised.
 */
import type { Logger } from '../domain/ports/logger.js';

/**
 * Longest failure text kept on an attempt and its delivery: the receiver writes much of it (a
 * validator's message quoting 20,000 unclosed tags of a 64 kB answer ran to 160 kB per attempt).
 */
export const MAX_ERROR_CHARS = 1_000;

/** A failure text cut to `MAX_ERROR_CHARS`, saying how much was left out. */
export function boundedError(error: string): string;
export function boundedError(error: string | null): string | null;
export function boundedError(error: string | null): string | null {
  if (error === null || error.length <= MAX_ERROR_CHARS) return error;
  return `${error.slice(0, MAX_ERROR_CHARS)} … (${error.length - MAX_ERROR_CHARS} more characters)`;
}

export interface WebhookFailure {
  /** `host:port`, the key the runner's per-destination limits use. */
  readonly destination: string;
  readonly url: string;
  readonly kind: string;
  readonly deliveryId: number;
  readonly attempt: number;
  readonly error: string;
  /** No attempt will follow (window closed, attempts used up, or not retryable). */
  readonly giveUp: boolean;
}

interface Tally {
  /** When this tally began counting (the first failure, or the last summary line). */
  since: number;
  failures: number;
  gaveUp: number;
  lastError: string;
  lastUrl: string;
}

export class WebhookFailureLog {
  /** Destinations that failed this interval; a tally of 0 means only its first failure, already logged. */
  private readonly tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  failed(f: WebhookFailure): void {
    const tally = this.tallies.get(f.destination);
    if (tally === undefined) {
      this.tallies.set(f.destination, { since: this.now(), failures: 0, gaveUp: 0, lastError: f.error, lastUrl: f.url });
      this.logger.warn(
        { destination: f.destination, deliveryId: f.deliveryId, kind: f.kind, url: f.url, attempt: f.attempt, error: f.error, giveUp: f.giveUp },
        `webhook to ${f.url} failed${f.giveUp ? ' for good' : '; will retry'}: ${f.error} (further failures to ${f.destination} are summarised every ${Math.round(this.intervalMs / 1000)} s)`,
      );
      // Unref'd: a pending summary never keeps the process alive; stop() writes it.
      this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
      return;
    }
    tally.failures++;
    if (f.giveUp) tally.gaveUp++;
    tally.lastError = f.error;
    tally.lastUrl = f.url;
  }

  /** Write one line per destination that failed again since its last line. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    for (const [destination, t] of this.tallies) {
      // Quiet for a whole interval: its next failure is news again, logged at once.
      if (t.failures === 0) {
        this.tallies.delete(destination);
        continue;
      }
      // Usually the interval; shorter when stopping.
      const seconds = Math.max(1, Math.round((now - t.since) / 1000));
      this.logger.warn(
        { destination, failures: t.failures, gaveUp: t.gaveUp, lastError: t.lastError, lastUrl: t.lastUrl, seconds },
        `webhooks to ${destination}: ${t.failures} more failed attempts in the last ${seconds} s${t.gaveUp ? `, ${t.gaveUp} given up` : ''}; last: ${t.lastError}`,
      );
      t.since = now;
      t.failures = 0;
      t.gaveUp = 0;
    }
    if (this.tallies.size > 0) this.timer = setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  /** Write what is pending and stop the timer. */
  stop(): void {
    this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.tallies.clear();
  }
}
