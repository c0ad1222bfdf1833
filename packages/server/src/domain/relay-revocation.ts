/**
 * Ending the parked RELAY sessions of revoked tokens, the same for every resume store: each
 * session with a known token (of one project, or all) is checked, and ended when its token is no
 * longer active and the session is still the one checked (not claimed or replaced meanwhile).
 */
import type { TokenCheck } from './ports/relay-resume.js';

/** A parked session's owner, as revocation reads it. */
export interface ParkedOwner {
  readonly projectId: string;
  readonly tokenId: string | null;
}

/** End, through `end`, the entries of `parked` whose token `isActive` denies; returns how many. */
export async function endRevokedSessions<E>(parked: ReadonlyMap<string, E>, ownerOf: (entry: E) => ParkedOwner, isActive: TokenCheck, projectId: string | undefined, end: (protocol: string) => void): Promise<number> {
  const checks = [...parked].map(async ([protocol, entry]) => {
    const { projectId: owner, tokenId } = ownerOf(entry);
    if (tokenId === null || (projectId !== undefined && owner !== projectId)) return false;
    if ((await isActive(owner, tokenId)) || parked.get(protocol) !== entry) return false;
    end(protocol);
    return true;
  });
  return (await Promise.all(checks)).filter(Boolean).length;
}
