/**
 * Log lines that repeat at a rate set from outside: an SMSC's PDUs (one warning each), and the
 * background loops while storage is unavailable (the dispatcher's claim failed once a second, the
 * shared clock's refresh every 5 s, the sweeps at their intervals). Per key (a message, a loop), at
 * most `perWindow` lines are written per `windowMs`; the rest go to `debug` (where the logger has
 * it, so nothing is lost at debug level) and are counted, and the next line written for the key
 * says how many were left out (`suppressed`). A failing operation's first failure is therefore
 * always written at once; `recovered` ends the key's run with one info line naming how many
 * failures there were and how many lines were left out ("… works again: storage is back").
 *
 * Bounded: at most `maxKeys` keys are remembered (the least recently used are forgotten).
 */
import type { Logger } from '../domain/ports/logger.js';
import { RecentMap } from './recent-map.js';

export interface LogLimits {
  /** Lines written per key and window; the rest are counted. */
  readonly perWindow: number;
  readonly windowMs: number;
  /** The time windows are read on: wall-clock unless given (a manual simulator clock never moves by itself). */
  readonly now?: () => number;
  readonly maxKeys?: number;
}

/** A failure repeated by a loop while storage (or anything else it needs) is out: the first line and one a minute. */
export const OUTAGE_LOG_LIMITS: LogLimits = { perWindow: 1, windowMs: 60_000 };

interface Run {
  /** When the key's first line of this run was asked for. */
  readonly since: number;
  windowStart: number;
  inWindow: number;
  /** Lines asked for in this run. */
  total: number;
  /** Lines left out since the last one written. */
  suppressed: number;
}

export class LogLimiter {
  private readonly runs: RecentMap<Run>;
  private readonly now: () => number;

  constructor(
    private readonly logger: Logger,
    private readonly limits: LogLimits,
  ) {
    this.runs = new RecentMap(limits.maxKeys ?? 1000);
    this.now = limits.now ?? Date.now;
  }

  /** Whether `key` has lines asked for since it last `recovered`. */
  active(key: string): boolean {
    return this.runs.get(key) !== undefined;
  }

  /** `always`: written whatever the window (news the key's run has not told yet: a new cause); counted as one of its lines. */
  warn(key: string, fields: Record<string, unknown>, message: string, always = false): void {
    this.write('warn', key, fields, message, always);
  }

  error(key: string, fields: Record<string, unknown>, message: string, always = false): void {
    this.write('error', key, fields, message, always);
  }

  /**
   * What `key` reported works again: one info line, if anything was reported since it last did,
   * with how many failures there were (`failures`), since when, and how many lines were left out.
   */
  recovered(key: string, fields: Record<string, unknown>, message: string): void {
    const run = this.runs.get(key);
    if (!run) return;
    this.runs.delete(key);
    this.logger.info({ ...fields, failures: run.total, since: new Date(run.since).toISOString(), suppressed: run.suppressed }, message);
  }

  private write(level: 'warn' | 'error', key: string, fields: Record<string, unknown>, message: string, always: boolean): void {
    const now = this.now();
    let run = this.runs.get(key);
    if (!run) this.runs.set(key, (run = { since: now, windowStart: now, inWindow: 0, total: 0, suppressed: 0 }));
    run.total++;
    if (now - run.windowStart >= this.limits.windowMs) {
      run.windowStart = now;
      run.inWindow = 0;
    }
    if (run.inWindow < this.limits.perWindow || always) {
      run.inWindow++;
      const left = run.suppressed > 0 ? { suppressed: run.suppressed, failures: run.total, since: new Date(run.since).toISOString() } : {};
      run.suppressed = 0;
      this.logger[level]({ ...fields, ...left }, left.suppressed ? `${message} (${left.suppressed} more not logged)` : message);
      return;
    }
    run.suppressed++;
    this.logger.debug?.(fields, message);
  }
}

/**
 * One operation that fails over and over while what it needs is out (a loop's pass, a timer's
 * sweep): `failed` writes the first failure at once and then one line a minute (`OUTAGE_LOG_LIMITS`)
 * with the count left out; `succeeded` writes its end once ("… succeeds again"), with the count.
 * Fits a `WorkLoop`'s `PassReports`.
 */
export class RepeatedFailure {
  private readonly limiter: LogLimiter;

  constructor(
    logger: Logger,
    private readonly level: 'warn' | 'error',
    private readonly message: string,
    private readonly recoveredMessage: string,
    limits: LogLimits = OUTAGE_LOG_LIMITS,
  ) {
    this.limiter = new LogLimiter(logger, limits);
  }

  /** Failing now (since the first failure not followed by a success). */
  get failing(): boolean {
    return this.limiter.active(this.message);
  }

  failed(err: unknown, fields: Record<string, unknown> = {}): void {
    this.limiter[this.level](this.message, { err, ...fields }, this.message);
  }

  succeeded(fields: Record<string, unknown> = {}): void {
    this.limiter.recovered(this.message, fields, this.recoveredMessage);
  }
}
