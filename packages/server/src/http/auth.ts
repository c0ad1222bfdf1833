/**
 * HTTP Basic authentication with `project_id:api_token`, shared by every REST surface. Each surface
 * turns the thrown `AppError` (UNAUTHORIZED / FORBIDDEN) into its own error shape.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import type { TokenScope } from '../domain/credentials.js';
import type { CredentialVerifier, Principal } from '../engine/admin/credential-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a surface's auth hook for authenticated routes. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** The web console's session check, when the console is enabled (see `SessionAuthenticator`). */
    sessionAuth: SessionAuthenticator | null;
  }
}

/**
 * An alternative to Basic auth for requests that carry the web console's session cookie (and no
 * `Authorization` header): the console calls the public APIs with its session.
 */
export interface SessionAuthenticator {
  /**
   * The session's principal, or null when the request carries no session cookie. Throws
   * UNAUTHORIZED for an unknown or expired session and FORBIDDEN for a write without the CSRF token.
   */
  authenticate(request: FastifyRequest): Promise<Principal | null>;
}

/** Header the console sends its CSRF token in (see `ConsoleSessions`). */
export const CSRF_HEADER = 'x-switchboard-csrf';

/**
 * True when a 401 should carry a Basic challenge: not for the console's requests (it sends its CSRF
 * header) nor its own API, since browsers answer a challenge with a login box.
 */
export function wantsBasicChallenge(request: FastifyRequest): boolean {
  return request.headers[CSRF_HEADER] === undefined && !request.url.startsWith('/api/console/');
}

/** Parse an `Authorization: Basic …` header. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header || header.length > 1024) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Authenticate a request and check a scope; returns the principal or throws. */
export async function authenticate(verifier: CredentialVerifier, request: FastifyRequest, scope: TokenScope): Promise<Principal> {
  const header = request.headers.authorization;
  const viaSession = header === undefined && request.server.sessionAuth ? await request.server.sessionAuth.authenticate(request) : null;
  const creds = viaSession ? null : parseBasicAuth(header);
  const principal = viaSession ?? (creds ? await verifier.verify(creds.user, creds.password) : null);
  if (!principal) throw AppError.of('UNAUTHORIZED');
  if (!principal.scopes.has(scope)) throw AppError.of('FORBIDDEN', { message: `This API token lacks the "${scope}" scope.` });
  request.principal = principal;
  return principal;
}

/** The authenticated principal of a route behind an auth hook. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw AppError.of('UNAUTHORIZED');
  return request.principal;
}

/**
 * Authenticate a request that steers or reads shared infrastructure (the simulator's SMSC, every
 * carrier's state): only a `management` token of the operator project may (see "Tenancy" in
 * docs/architecture.md).
 */
export async function authenticateOperator(verifier: CredentialVerifier, request: FastifyRequest, operatorProjectId: string): Promise<Principal> {
  const principal = await authenticate(verifier, request, 'management');
  if (!isOperator(principal, operatorProjectId)) throw AppError.of('FORBIDDEN', { message: 'Only the operator project may use this endpoint: it reads or steers what every project shares.' });
  return principal;
}

/** Whether a principal holds the operator project's `management` scope. */
export function isOperator(principal: Principal, operatorProjectId: string): boolean {
  return principal.projectId === operatorProjectId && principal.scopes.has('management');
}
