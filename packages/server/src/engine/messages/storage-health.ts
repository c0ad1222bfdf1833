/**
 * What the journal's last writes said about storage, for readiness: failing from the first write
 * that failed with `StoreUnavailableError` until a write succeeds again. The first failure of an
 * outage is logged with its cause, each cause it had not shown yet when it first appears, again every
 * minute while it lasts (the other failures at debug), and its end once with how many there were
 * (`util/log-limiter.ts`, as the loops that retry through an outage log theirs).
 */
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/ports/logger.js';
import { LogLimiter, OUTAGE_LOG_LIMITS } from '../../util/log-limiter.js';

/** A readiness check's answer. */
export interface HealthReport {
  readonly ok: boolean;
  readonly detail?: string;
}

/**
 * Distinct causes of one outage logged as they appear. An outage often starts as one thing and goes
 * on as another: an administrator makes the database read-only and ends its sessions, and the log
 * said only "connection error" until the end (the read-only refusals that followed showed nowhere
 * but in /ready). Bounded, for causes whose text varies.
 */
const CAUSES_LOGGED = 10;
/** The limiter's key for the journal's writes. */
const WRITES = 'storage writes';

interface Outage {
  readonly since: number;
  lastAt: number;
  failures: number;
  cause: string;
  /** The causes logged so far. */
  readonly shown: Set<string>;
}

export class StorageHealth {
  private outage: Outage | null = null;
  /** The first failure, each new cause, a reminder a minute (`OUTAGE_LOG_LIMITS`), and the end. */
  private readonly log: LogLimiter | undefined;

  constructor(
    private readonly clock: Clock,
    logger: Logger | undefined,
  ) {
    this.log = logger && new LogLimiter(logger, { ...OUTAGE_LOG_LIMITS, now: () => clock.now() });
  }

  /** Storage is failing now. */
  get failing(): boolean {
    return this.outage !== null;
  }

  /** When the last write failed (ms), or null while writes succeed. */
  get lastFailureAt(): number | null {
    return this.outage?.lastAt ?? null;
  }

  /** A write failed because storage is unavailable; `what` names the write for the log. */
  failed(err: unknown, what: string, consequence: string): void {
    const now = this.clock.now();
    const cause = err instanceof Error ? err.message : String(err);
    const o = this.outage;
    if (!o) {
      this.outage = { since: now, lastAt: now, failures: 1, cause, shown: new Set([cause]) };
      this.log?.error(WRITES, { err, write: what }, `${cause}; ${consequence}`);
      return;
    }
    o.lastAt = now;
    o.failures++;
    o.cause = cause;
    const since = new Date(o.since).toISOString();
    if (!o.shown.has(cause) && o.shown.size < CAUSES_LOGGED) {
      o.shown.add(cause);
      this.log?.error(WRITES, { err, write: what, failures: o.failures, since }, `storage still failing, now: ${cause}; ${consequence}`, true);
    } else {
      this.log?.error(WRITES, { err, write: what, failures: o.failures, since }, `storage still failing: ${cause}; ${consequence}`);
    }
  }

  /** A write succeeded: storage is back if it was failing. */
  succeeded(): void {
    const o = this.outage;
    if (!o) return;
    this.outage = null;
    this.log?.recovered(WRITES, { lastCause: o.cause }, 'storage writes succeed again');
  }

  /** For readiness: ok, or the last cause with how long and what waits. */
  report(waiting: number): HealthReport {
    const o = this.outage;
    if (!o) return { ok: true };
    const pending = waiting > 0 ? `; ${waiting} state ${waiting === 1 ? 'change' : 'changes'} waiting to be written` : '';
    return { ok: false, detail: `${o.cause} (writes failing since ${new Date(o.since).toISOString()}, ${o.failures} failed${pending})` };
  }
}
