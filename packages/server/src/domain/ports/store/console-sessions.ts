import type { TokenScope } from '../../credentials.js';

/** A web console session, as stored: the id the cookie carries is kept only as a digest. */
export interface ConsoleSessionRecord {
  readonly idHash: Buffer;
  readonly projectId: string;
  /** The API token it was opened with; null for a dev login. */
  readonly tokenId: string | null;
  readonly scopes: readonly TokenScope[];
  readonly dev: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Console sessions. Lookups are by the secret id's digest, across projects by nature (like checking
 * an API token): the session says which project it acts for.
 */
export interface ConsoleSessionRepository {
  /**
   * Store a new session. With `maxPerCredential`, the credential's (its API token's, or the
   * project's dev logins') oldest sessions beyond that many, the new one counted, are deleted in
   * the same transaction; returns their digests. Logins of one project count one after the other.
   */
  create(session: ConsoleSessionRecord, maxPerCredential?: number): Promise<Buffer[]>;
  /** The session if it exists, has not expired at `now`, and its API token (if any) is not revoked. */
  find(idHash: Buffer, now: number): Promise<ConsoleSessionRecord | undefined>;
  /** Push the expiry of a live session later. */
  extend(idHash: Buffer, expiresAt: number): Promise<void>;
  delete(idHash: Buffer): Promise<boolean>;
  /** Forget sessions expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}
