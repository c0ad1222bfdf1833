/**
 * Web console sessions. Logging in (project id + API token, or the dev login) creates a random
 * 256-bit session id that only the httpOnly cookie carries; the database keeps its SHA-256 digest,
 * the project, the token's scopes and an expiry that slides while the console is used. A session
 * opened with a token ends when that token is revoked, and any session ends `MAX_SESSION_AGE_MS`
 * after login however much it is used (a stolen cookie, or a dev login, which no token revocation
 * ends, does not live for ever). The cookie follows the session: its Max-Age is the session's time
 * left, and a request that slides the expiry gets the cookie again with the new time left (see
 * `renewedCookie`). The CSRF token is derived from the session id, so it needs no
 * storage and cannot be guessed without the cookie. Each login stores a row until it expires, so
 * one API token (or a project's dev logins) keeps at most `maxPerCredential` sessions: a login past
 * it ends the credential's oldest session, as most products do, rather than refusing the newest
 * login — a client logging in in a loop cannot fill the table, nor lock out the token's users.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { Bus } from '../../domain/ports/bus.js';
import { TOKEN_SCOPES, type TokenScope } from '../../domain/credentials.js';
import type { ConsoleSessionRecord, ConsoleSessionRepository } from '../../domain/ports/store.js';
import type { Principal } from '../../engine/admin/credential-verifier.js';
import { GuardedCache } from '../../util/guarded-cache.js';
import { CSRF_HEADER, type SessionAuthenticator } from '../auth.js';
import { cookieSecure, sessionCookie, sessionCookieOf } from './cookies.js';
import { dropOnChange } from '../../domain/bus-freshness.js';

/** Methods that change nothing, so they need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How long a session lasts from login at most, used or not (or its idle lifetime, when that is longer). */
export const MAX_SESSION_AGE_MS = 7 * 24 * 3_600_000;

/** A resolved session. */
export interface LiveSession {
  readonly id: string;
  readonly record: ConsoleSessionRecord;
  readonly csrfToken: string;
}

function digest(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest();
}

/** The CSRF token of a session id. */
export function csrfTokenFor(id: string): string {
  return createHash('sha256').update(`csrf:${id}`, 'utf8').digest('base64url');
}

export class ConsoleSessions implements SessionAuthenticator {
  /**
   * Recently checked sessions by id: most requests cost no database read (revocation shows within
   * `cacheMs`). A lookup that read a session before a logout or credentials change is not cached
   * after it (the ended cookie would pass on this node for `cacheMs` more).
   */
  private readonly cache: GuardedCache<ConsoleSessionRecord | null>;
  /** Records whose expiry a read just slid, until a request takes them to re-issue its cookie. */
  private readonly slid = new WeakSet<ConsoleSessionRecord>();
  /** The session whose cookie a request re-issues (it took the slide). */
  private readonly renewals = new WeakMap<FastifyRequest, LiveSession>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: ConsoleSessionRepository,
    private readonly clock: Clock,
    private readonly opts: {
      readonly ttlMs: number;
      readonly cacheMs?: number;
      /** Tells whether cookies are Secure behind a TLS proxy (see `cookieSecure`). */
      readonly publicUrl?: string | null;
      /** Sessions one API token (or a project's dev logins) keeps open; a login past it ends the oldest. */
      readonly maxPerCredential?: number;
      /**
       * Whether dev-login sessions count (the dev login is on; default true). Off, one opened before
       * a restart that turned the dev login off (an API token configured, a public bind) is refused:
       * it has every scope and no token whose revocation would end it.
       */
      readonly devSessions?: boolean;
    },
    bus?: Bus,
  ) {
    const cacheMs = opts.cacheMs ?? 5_000;
    this.cache = new GuardedCache({
      load: (id) => this.read(id),
      now: () => clock.now(),
      // Never past the session's own end.
      expiresAt: (session, at) => Math.min(at + cacheMs, session?.expiresAt ?? Infinity),
      maxEntries: 10_000,
    });
    // A token revoked on this node ends its sessions at once (elsewhere within `cacheMs`).
    if (bus) dropOnChange(bus, 'credentials.changed', ({ projectId }) => this.cache.invalidateWhere((session) => session?.projectId === projectId), () => this.cache.invalidateAll());
  }

  /** Start forgetting expired sessions hourly. */
  start(): void {
    this.sweeper = setInterval(() => void this.repo.deleteExpired(this.clock.now()).catch(() => undefined), 3_600_000);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** Open a session for a project; returns the id for the cookie. */
  async open(projectId: string, opts: { tokenId: string | null; scopes: Iterable<TokenScope>; dev: boolean }): Promise<LiveSession> {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const record: ConsoleSessionRecord = { idHash: digest(id), projectId, tokenId: opts.tokenId, scopes: [...opts.scopes], dev: opts.dev, createdAt: now, expiresAt: now + this.opts.ttlMs };
    const evicted = await this.repo.create(record, this.opts.maxPerCredential ?? Infinity);
    // Ended here at once; on other nodes within `cacheMs`, as a revoked token's.
    if (evicted.length) this.cache.invalidateWhere((session) => session !== null && evicted.some((h) => h.equals(session.idHash)));
    return { id, record, csrfToken: csrfTokenFor(id) };
  }

  /** Seconds `record` has left, for the cookie's Max-Age (on the sessions' clock). */
  secondsLeft(record: ConsoleSessionRecord): number {
    return Math.max(0, Math.floor((record.expiresAt - this.clock.now()) / 1000));
  }

  /** The live session of a request's cookie, or null (no cookie, unknown, expired or revoked). */
  async resolve(request: FastifyRequest): Promise<LiveSession | null> {
    const id = sessionCookieOf(request, this.secure(request));
    return id ? this.lookup(request, id) : null;
  }

  /**
   * Set-Cookie carrying the request's session on with its new time left, when the request slid its
   * expiry (else null). Only the request that takes a slide gets it, so the browser's copy is
   * renewed as often as the session is (at most once per half idle lifetime), never past its maximum
   * age; a slide made on another node is renewed by that node's answer.
   */
  renewedCookie(request: FastifyRequest): string | null {
    const live = this.renewals.get(request);
    return live ? sessionCookie(live.id, this.secondsLeft(live.record), this.secure(request)) : null;
  }

  /**
   * Whether a request's session is still open, without extending it. A live feed asks this every
   * few seconds: were it use, an unattended tab would keep its session from ever idling out (and
   * streaming for up to `MAX_SESSION_AGE_MS`, long after the cookie it was opened with expired).
   */
  async stillOpen(request: FastifyRequest): Promise<boolean> {
    const id = sessionCookieOf(request, this.secure(request));
    if (!id) return false;
    const now = this.clock.now();
    const cached = this.cache.peek(id);
    if (cached !== undefined) return cached !== null && cached.expiresAt > now;
    const found = await this.repo.find(digest(id), now);
    return found !== undefined && this.counts(found);
  }

  /** End a session. */
  async close(id: string): Promise<void> {
    this.cache.invalidate(id);
    await this.repo.delete(digest(id));
    // A lookup that began before the delete and finished after the line above: not kept either.
    this.cache.invalidate(id);
  }

  /** `SessionAuthenticator`: the principal of a request's session cookie, checking CSRF on writes. */
  async authenticate(request: FastifyRequest): Promise<Principal | null> {
    const id = sessionCookieOf(request, this.secure(request));
    if (!id) return null;
    const live = await this.lookup(request, id);
    if (!live) throw AppError.of('UNAUTHORIZED', { message: 'Your console session has expired or was ended; log in again.' });
    const { record } = live;
    if (!SAFE_METHODS.has(request.method) && !csrfMatches(request.headers[CSRF_HEADER], live.csrfToken)) throw AppError.of('CONSOLE_CSRF');
    return { projectId: record.projectId, scopes: new Set(record.scopes.filter((s) => (TOKEN_SCOPES as readonly string[]).includes(s))), via: 'console', ...(record.tokenId ? { tokenId: record.tokenId } : {}) };
  }

  /** Whether a stored session may be used: a dev login's only while the dev login is on. */
  private counts(session: ConsoleSessionRecord): boolean {
    return !session.dev || this.opts.devSessions !== false;
  }

  /** Whether the browser reaches us over TLS (the cookie is then Secure and `__Host-` named). */
  private secure(request: FastifyRequest): boolean {
    return cookieSecure(request, this.opts.publicUrl ?? null);
  }

  /** The live session of a cookie's id; the request takes a slide its read made (see `renewedCookie`). */
  private async lookup(request: FastifyRequest, id: string): Promise<LiveSession | null> {
    const record = await this.cache.get(id);
    if (!record) return null;
    const live = { id, record, csrfToken: csrfTokenFor(id) };
    // Taken even by a request refused after this (a write without the CSRF token): the slide is
    // made, and a cookie not renewed now would end at its old time, before the session.
    if (this.slid.delete(record)) this.renewals.set(request, live);
    return live;
  }

  /** A session as stored, its expiry slid on. */
  private async read(id: string): Promise<ConsoleSessionRecord | null> {
    const now = this.clock.now();
    let session = (await this.repo.find(digest(id), now)) ?? null;
    if (session && !this.counts(session)) return null;
    // Slide the expiry, writing at most once per half lifetime, never past the session's maximum age.
    if (session && session.expiresAt - now < this.opts.ttlMs / 2) {
      const expiresAt = Math.min(now + this.opts.ttlMs, session.createdAt + Math.max(MAX_SESSION_AGE_MS, this.opts.ttlMs));
      if (expiresAt > session.expiresAt) {
        await this.repo.extend(session.idHash, expiresAt);
        session = { ...session, expiresAt };
        this.slid.add(session);
      }
    }
    return session;
  }
}

function csrfMatches(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
