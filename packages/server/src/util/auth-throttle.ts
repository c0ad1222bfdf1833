/**
 * Failed authentications, limited per client address and per credential (the project id presented),
 * for every way in: HTTP Basic on each REST surface, the console login, RELAY `signalwire.connect`.
 *
 * Each address and each project id has a token bucket of failures (`burst`, refilled at
 * `perMinute`; `FailureLimiter`). Only failures take from it. A request is refused before its
 * credentials are checked (429 / -32005 with when to retry) when its address's bucket is empty, or
 * when its project's is and this address has itself failed for that project — unless those exact
 * credentials authenticated successfully on this node before ("known good"). So valid clients that
 * have been using the API keep working while their address or their project is under attack; a
 * project under attack from many addresses gives each attacking address one guess until its bucket
 * refills, never a guess per failure it has left; and another tenant who floods a project id with
 * wrong tokens cannot lock that project's own new clients out (they come from addresses that have
 * not failed for it).
 *
 * Memory is bounded: each map keeps its most recently used `maxKeys` entries.
 */
import { hashToken } from '../domain/credentials.js';
import { FailureLimiter, type FailureBudget } from './failure-limiter.js';
import { RecentMap } from './recent-map.js';

export type { FailureBudget } from './failure-limiter.js';

export type ThrottledKey = 'address' | 'project';

export interface AuthThrottleOptions {
  readonly perAddress: FailureBudget;
  readonly perProject: FailureBudget;
  /** Entries kept per map (addresses, project ids, known-good credentials). Default 10,000. */
  readonly maxKeys?: number;
  now(): number;
  /** A key starts being limited: called once per episode (an episode ends when its bucket has refilled completely). */
  onLimited?(kind: ThrottledKey, key: string, retryAfterMs: number): void;
}

/** Whether to refuse, and for how long. */
export type ThrottleVerdict = { readonly limited: false } | { readonly limited: true; readonly retryAfterMs: number };

const OPEN: ThrottleVerdict = { limited: false };
/** Project ids are at most 64 characters: a longer one is keyed by its first 64. */
const MAX_KEY_LENGTH = 64;

export class AuthThrottle {
  private readonly addresses: FailureLimiter;
  private readonly projects: FailureLimiter;
  private readonly knownGood: RecentMap<true>;
  /** (project, address) pairs that failed: the addresses a limited project's bucket applies to. */
  private readonly failedFrom: RecentMap<true>;

  constructor(private readonly opts: AuthThrottleOptions) {
    const max = opts.maxKeys ?? 10_000;
    this.addresses = new FailureLimiter(opts.perAddress, max, (key, wait) => opts.onLimited?.('address', key, wait));
    this.projects = new FailureLimiter(opts.perProject, max, (key, wait) => opts.onLimited?.('project', key, wait));
    this.knownGood = new RecentMap(max);
    this.failedFrom = new RecentMap(max);
  }

  /** Entries held, all maps together (bounded by 4 × maxKeys). */
  get size(): number {
    return this.addresses.size + this.projects.size + this.knownGood.size + this.failedFrom.size;
  }

  /** Before checking credentials: refuse when the address is limited, or the project is and this address failed for it; unless these credentials are known good. */
  check(address: string, project: string, token: string): ThrottleVerdict {
    const now = this.opts.now();
    const projectWait = this.projects.waitOf(keyOf(project), now);
    const wait = Math.max(this.addresses.waitOf(keyOf(address), now), projectWait > 0 && this.failedFrom.get(pairOf(project, address)) ? projectWait : 0);
    if (wait <= 0 || this.knownGood.get(fingerprint(project, token))) return OPEN;
    return { limited: true, retryAfterMs: wait };
  }

  /** The credentials were wrong: count it against the address and the project; limited when either had no failure to spare. */
  failed(address: string, project: string): ThrottleVerdict {
    const now = this.opts.now();
    this.failedFrom.set(pairOf(project, address), true);
    const wait = Math.max(this.addresses.take(keyOf(address), now), this.projects.take(keyOf(project), now));
    return wait > 0 ? { limited: true, retryAfterMs: wait } : OPEN;
  }

  /** The credentials were right: they pass while their address or project is limited. `tokenDigest`: the token's SHA-256 when the caller has it (spares hashing it again). */
  succeeded(project: string, token: string, tokenDigest?: Buffer): void {
    // The verifier hands the same digest for a token it recognised again: its fingerprint is made once.
    if (tokenDigest === undefined || tokenDigest !== this.lastDigest || project !== this.lastProject) {
      this.lastFingerprint = fingerprint(project, token, tokenDigest);
      this.lastDigest = tokenDigest;
      this.lastProject = project;
    }
    this.knownGood.set(this.lastFingerprint, true);
  }
  private lastDigest: Buffer | undefined;
  private lastProject = '';
  private lastFingerprint = '';
}

function keyOf(raw: string): string {
  return raw.slice(0, MAX_KEY_LENGTH);
}

function pairOf(project: string, address: string): string {
  return `${keyOf(project)}\n${keyOf(address)}`;
}

/** What identifies presented credentials among the known-good ones: project and token digest, never the token itself. */
function fingerprint(project: string, token: string, tokenDigest: Buffer = hashToken(token)): string {
  return `${project.slice(0, MAX_KEY_LENGTH)}\n${tokenDigest.toString('base64')}`;
}
