/**
 * Checks `project_id:token` credentials. Token digests per project are cached briefly (revocation
 * takes effect within `ttlMs`, or at once on this node); every comparison is constant-time and all
 * of a project's tokens are compared, so timing reveals nothing about which one matched. A token
 * that matched is remembered with that cache entry, so the next requests with it (every request of
 * a client, within `ttlMs`) skip hashing; it goes with the entry, so revocation works as before. Test tokens
 * authenticate only where the caller asks for them (`allowTest`): anywhere else they are no
 * credentials at all, so a surface that never heard of them (RELAY, the console login) refuses them.
 * A token found in no entry older than `MISS_RELOAD_AFTER_MS` reads the project's tokens again once:
 * a token just made by another process (`switchboard token create`, which cannot tell the server)
 * works at once instead of answering 401 until the entry expires; failed logins are throttled, and
 * this reads at most once per `MISS_RELOAD_AFTER_MS` per project.
 */
import type { Clock } from '../../domain/clock.js';
import { hashToken, tokenDigestMatches, type TokenScope } from '../../domain/credentials.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { ProjectRepository, TokenRepository } from '../../domain/ports/store.js';
import { GuardedCache } from '../../util/guarded-cache.js';
import { dropOnChange } from '../../domain/bus-freshness.js';
import { canonicalId } from '../../domain/ids.js';

/** Who a request acts for. */
export interface Principal {
  readonly projectId: string;
  readonly scopes: ReadonlySet<TokenScope>;
  /** The API token that matched (absent for principals not made from a token). */
  readonly tokenId?: string;
  /** SHA-256 of the presented token, already computed to check it (the failed-login throttle keys known-good credentials by it). */
  readonly tokenDigest?: Buffer;
  /** How the request proved it: Basic credentials (default) or a web console session cookie. */
  readonly via?: 'basic' | 'console';
  /** Made from a test token (Twilio's test credentials): sends are answered but never sent or stored. */
  readonly test?: boolean;
}

interface Entry {
  /** When the tokens were read (the clock's ms). */
  loadedAt: number;
  tokens: Array<{ id: string; hash: Buffer; scopes: readonly TokenScope[]; test: boolean }>;
  /**
   * Tokens presented and found among `tokens`, with their principal: lives and dies with the entry
   * (`ttlMs`, or `credentials.changed`). Only matches are kept, at most `MAX_MATCHED` per project.
   */
  matched: Map<string, Principal>;
}

/** Matched tokens remembered per project (a project has a handful of tokens; clients reuse theirs). */
const MAX_MATCHED = 64;
/** A token no entry matched reads the tokens again when the entry is at least this old. */
const MISS_RELOAD_AFTER_MS = 250;

export class CredentialVerifier {
  /**
   * Each project's active tokens. A load that read them before a `credentials.changed` is not
   * cached after it (the revoked token would pass for another `ttlMs`, and the RELAY connections
   * and console feeds checked at once on the announcement would be kept open by that stale entry).
   */
  private readonly cache: GuardedCache<Entry>;

  constructor(projects: ProjectRepository, tokens: TokenRepository, private readonly clock: Clock, bus: Bus, ttlMs = 5_000) {
    this.cache = new GuardedCache({
      load: async (projectId) => {
        const loadedAt = clock.now();
        const project = await projects.get(projectId);
        const active = project ? await tokens.listActive(projectId) : [];
        return { loadedAt, tokens: active.map((t) => ({ id: t.id, hash: t.tokenHash, scopes: t.scopes, test: t.test })), matched: new Map() };
      },
      now: () => clock.now(),
      ttlMs,
      maxEntries: 10_000,
    });
    dropOnChange(bus, 'credentials.changed', ({ projectId }) => this.cache.invalidate(projectId), () => this.cache.invalidateAll());
  }

  /**
   * The principal for valid credentials, or null; a test token counts only with `allowTest`. A
   * project id in capitals names its project (`canonicalId`); the token is matched exactly.
   */
  async verify(presentedProjectId: string, token: string, opts: { readonly allowTest?: boolean } = {}): Promise<Principal | null> {
    if (!presentedProjectId || !token || presentedProjectId.length > 64 || token.length > 256) return null;
    const projectId = canonicalId(presentedProjectId);
    let entry = await this.cache.get(projectId);
    // Only a token that matched before is found here; any other is checked against all digests below.
    const known = entry.matched.get(token);
    if (known) return known.test && !opts.allowTest ? null : known;
    const digest = hashToken(token);
    let match = matchOf(entry, digest);
    if (match === null && this.clock.now() - entry.loadedAt >= MISS_RELOAD_AFTER_MS) {
      this.cache.invalidate(projectId);
      entry = await this.cache.get(projectId);
      match = matchOf(entry, digest);
    }
    if (match === null) return null;
    const principal: Principal = { projectId, scopes: new Set(match.scopes), tokenId: match.id, tokenDigest: digest, ...(match.test ? { test: true } : {}) };
    if (entry.matched.size < MAX_MATCHED) entry.matched.set(token, principal);
    return match.test && !opts.allowTest ? null : principal;
  }

  /** Whether a token of the project is still active (not revoked or removed), as of the cache's lifetime. */
  async isActive(projectId: string, tokenId: string): Promise<boolean> {
    return (await this.cache.get(projectId)).tokens.some((t) => t.id === tokenId);
  }
}

/** The entry's token whose digest is `digest`, comparing every one (constant time over the project's tokens). */
function matchOf(entry: Entry, digest: Buffer): Entry['tokens'][number] | null {
  let match: Entry['tokens'][number] | null = null;
  for (const t of entry.tokens) {
    if (tokenDigestMatches(digest, t.hash) && match === null) match = t;
  }
  return match;
}
