/**
 * Session names (`protocol`) and resume tokens (`authorization_state`).
 *
 * `protocol` is `signalwire_<signature>_<session id>`: the signature is an HMAC of the project and
 * session id keyed with the project's signing key, so a client can only ever present a protocol
 * this server issued to its own project — which lets a server that lost its memory (a restart)
 * adopt the name again and keep routing events addressed to it. The JS SDK resumes only when
 * `authorization.signature` equals the middle part, so the signature is returned there too.
 * `authorization_state` binds the protocol to the project the same way.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** A parsed, not yet verified, protocol. */
export interface SessionName {
  readonly protocol: string;
  readonly signature: string;
  readonly sessionId: string;
}

const PROTOCOL = /^signalwire_([0-9a-f]{32})_([0-9a-f-]{36})$/;

function mac(key: string, ...parts: string[]): string {
  return createHmac('sha256', key).update(parts.join('\n')).digest('hex').slice(0, 32);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new session name for a project. */
export function newSessionName(projectId: string, signingKey: string): SessionName {
  const sessionId = randomUUID();
  const signature = mac(signingKey, 'relay-protocol', projectId, sessionId);
  return { protocol: `signalwire_${signature}_${sessionId}`, signature, sessionId };
}

/** The name if `protocol` was issued by this server to this project, else undefined. */
export function verifySessionName(protocol: unknown, projectId: string, signingKey: string): SessionName | undefined {
  if (typeof protocol !== 'string') return undefined;
  const m = PROTOCOL.exec(protocol);
  if (!m) return undefined;
  const [, signature, sessionId] = m as unknown as [string, string, string];
  return sameText(signature, mac(signingKey, 'relay-protocol', projectId, sessionId)) ? { protocol, signature, sessionId } : undefined;
}

/** The opaque `authorization_state` of a session. */
export function authorizationState(protocol: string, projectId: string, signingKey: string): string {
  const body = Buffer.from(JSON.stringify({ p: projectId, s: protocol })).toString('base64url');
  return `${body}.${mac(signingKey, 'relay-authorization-state', body)}`;
}

/** True when `state` was issued for this protocol and project. */
export function verifyAuthorizationState(state: unknown, protocol: string, projectId: string, signingKey: string): boolean {
  if (typeof state !== 'string' || state.length > 1024) return false;
  const dot = state.lastIndexOf('.');
  if (dot <= 0) return false;
  const body = state.slice(0, dot);
  if (!sameText(state.slice(dot + 1), mac(signingKey, 'relay-authorization-state', body))) return false;
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { p?: unknown; s?: unknown };
    return parsed.p === projectId && parsed.s === protocol;
  } catch {
    return false;
  }
}
