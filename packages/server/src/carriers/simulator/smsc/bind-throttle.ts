/**
 * Failed binds to the simulator's SMSC, limited per client address by the policy of the HTTP API's
 * failed authentications (`FailureLimiter`): each address may fail `burst` binds in a row, and
 * failures are forgiven at `perMinute`. While an address has none to spare its binds are refused
 * before their credentials are checked, so nothing can be guessed meanwhile.
 *
 * Unlike `AuthThrottle` there is no "known good" pass for credentials that worked before: an SMPP
 * password has at most 8 characters, and letting the right one through while the address is locked
 * out would tell an attacker which of its guesses is right.
 */
import { FailureLimiter, type FailureBudget } from '../../../util/failure-limiter.js';

/**
 * 10 failed binds in a row, then one forgiven every 10 s: an ESME binds a few times a day, and one
 * with a wrong password retries every few seconds at most; a guesser gets 6 tries a minute.
 * `simulator.smsc.bindFailureBurst` / `bindFailuresPerMinute` have the same defaults.
 */
export const BIND_FAILURES: FailureBudget = { burst: 10, perMinute: 6 };
/** A refused bind's answer waits this long (wall time), so one connection cannot try passwords quickly. */
export const BIND_FAILURE_DELAY_MS = 500;
/** Addresses remembered; the least recently seen are forgotten first. */
const MAX_ADDRESSES = 10_000;

export interface BindThrottleOptions {
  readonly budget: FailureBudget;
  readonly maxAddresses?: number;
  now(): number;
  /** An address starts being locked out: called once per episode, not per refused bind. */
  onLocked?(address: string, retryAfterMs: number): void;
}

export class BindThrottle {
  private readonly failures: FailureLimiter;

  constructor(private readonly opts: BindThrottleOptions) {
    this.failures = new FailureLimiter(opts.budget, opts.maxAddresses ?? MAX_ADDRESSES, opts.onLocked);
  }

  /** Addresses held (at most `maxAddresses`). */
  get size(): number {
    return this.failures.size;
  }

  /** Before checking a bind's credentials: how long its address stays locked out (0: check them). */
  lockedFor(address: string): number {
    return this.failures.waitOf(address, this.opts.now());
  }

  /** A bind from `address` had a wrong system_id or password. */
  failed(address: string): void {
    this.failures.take(address, this.opts.now());
  }
}
