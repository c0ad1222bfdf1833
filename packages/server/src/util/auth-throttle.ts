/**
 * Failed authentications, limited per client address and per credential (the project id presented),
 * for every way in: HTTP Basic on each REST surface, the console login, RELAY `signalwire.connect`.
 *
 * Each address and each project id has a token bucket of failures (`burst`, refilled at
 * `perMinute`). Only failures take from it. Once either bucket of a request is empty, the request
 * is refused before its credentials are checked (429 / -32005 with when to retry) — unless those
 * exact credentials authenticated successfully on this node before ("known good"): valid clients
 * that have been using the API keep working while their address or their project is under attack,
 * and an attacker cannot test guesses while limited. Credentials never seen to work wait for the
 * bucket to refill.
 *
 * Memory is bounded: each map keeps its most recently used `maxKeys` entries.
 */
import { hashToken } from '../domain/credentials.js';
import { TokenBucket } from './token-bucket.js';

/** Failures one key may have at once, and how fast they are forgiven. */
export interface FailureBudget {
  readonly burst: number;
  readonly perMinute: number;
}

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

interface Entry {
  readonly bucket: TokenBucket;
  limited: boolean;
}

const OPEN: ThrottleVerdict = { limited: false };
/** Project ids are at most 64 characters: a longer one is keyed by its first 64. */
const MAX_KEY_LENGTH = 64;

/** A map that forgets its least recently used entries past `max`. */
class RecentMap<V> {
  private readonly map = new Map<string, V>();
  /** The most recently used key: using it again changes no order (one client's requests, one after another). */
  private newest: string | undefined;
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined && key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, v);
      this.newest = key;
    }
    return v;
  }
  set(key: string, value: V): void {
    if (key !== this.newest) this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  get size(): number {
    return this.map.size;
  }
}

export class AuthThrottle {
  private readonly addresses: RecentMap<Entry>;
  private readonly projects: RecentMap<Entry>;
  private readonly knownGood: RecentMap<true>;

  constructor(private readonly opts: AuthThrottleOptions) {
    const max = opts.maxKeys ?? 10_000;
    this.addresses = new RecentMap(max);
    this.projects = new RecentMap(max);
    this.knownGood = new RecentMap(max);
  }

  /** Entries held, all maps together (bounded by 3 × maxKeys). */
  get size(): number {
    return this.addresses.size + this.projects.size + this.knownGood.size;
  }

  /** Before checking credentials: refuse when the address or the project is limited, unless these credentials are known good. */
  check(address: string, project: string, token: string): ThrottleVerdict {
    const now = this.opts.now();
    const wait = Math.max(this.waitOf('address', address, now), this.waitOf('project', project, now));
    if (wait <= 0 || this.knownGood.get(fingerprint(project, token))) return OPEN;
    return { limited: true, retryAfterMs: wait };
  }

  /** The credentials were wrong: count it against the address and the project; limited when either had no failure to spare. */
  failed(address: string, project: string): ThrottleVerdict {
    const now = this.opts.now();
    const wait = Math.max(this.take('address', address, now), this.take('project', project, now));
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

  private map(kind: ThrottledKey): RecentMap<Entry> {
    return kind === 'address' ? this.addresses : this.projects;
  }

  /** How long until the key may fail again (0: now). */
  private waitOf(kind: ThrottledKey, rawKey: string, now: number): number {
    const key = rawKey.slice(0, MAX_KEY_LENGTH);
    const entry = this.map(kind).get(key);
    if (!entry) return 0;
    const wait = entry.bucket.nextAt(now) - now;
    if (wait > 0) this.mark(kind, key, entry, wait);
    else if (entry.bucket.isFull(now)) entry.limited = false;
    return wait;
  }

  /** Take one failure; returns how long to wait when there was none to take (0 when taken). */
  private take(kind: ThrottledKey, rawKey: string, now: number): number {
    const key = rawKey.slice(0, MAX_KEY_LENGTH);
    const map = this.map(kind);
    let entry = map.get(key);
    if (!entry) {
      const budget = kind === 'address' ? this.opts.perAddress : this.opts.perProject;
      entry = { bucket: new TokenBucket(budget.perMinute / 60, budget.burst, now), limited: false };
      map.set(key, entry);
    }
    if (entry.limited && entry.bucket.isFull(now)) entry.limited = false;
    if (entry.bucket.take(now)) return 0;
    const wait = Math.max(1, entry.bucket.nextAt(now) - now);
    this.mark(kind, key, entry, wait);
    return wait;
  }

  private mark(kind: ThrottledKey, key: string, entry: Entry, wait: number): void {
    if (entry.limited) return;
    entry.limited = true;
    this.opts.onLimited?.(kind, key, wait);
  }
}

/** What identifies presented credentials among the known-good ones: project and token digest, never the token itself. */
function fingerprint(project: string, token: string, tokenDigest: Buffer = hashToken(token)): string {
  return `${project.slice(0, MAX_KEY_LENGTH)}\n${tokenDigest.toString('base64')}`;
}
