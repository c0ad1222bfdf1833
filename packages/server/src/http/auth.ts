/**
 * HTTP Basic authentication with `project_id:api_token`, shared by every REST surface. Each surface
 * turns the thrown `AppError` (UNAUTHORIZED / FORBIDDEN / RATE_LIMITED) into its own error shape.
 * Failed credentials are counted per client address and project id (`AuthThrottle`): once either
 * has failed too often, requests get 429 with `Retry-After` before their credentials are checked,
 * except credentials that worked before.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import type { TokenScope } from '../domain/credentials.js';
import type { CredentialVerifier, Principal } from '../engine/admin/credential-verifier.js';
import type { AuthThrottle } from '../util/auth-throttle.js';
import { canonicalId } from '../domain/ids.js';
import { clientAddressKey } from '../util/client-address.js';
import { givenMoreThanOnce } from './repeated-fields.js';
import { decodedRequestPath } from './request-path.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a surface's auth hook for authenticated routes. */
    principal: Principal | null;
    /** Seconds a client refused with 429 must wait (sent as `Retry-After`): failing authentication too often, too many lists at once. */
    retryAfterSeconds: number;
  }
  interface FastifyInstance {
    /** The web console's session check, when the console is enabled (see `SessionAuthenticator`). */
    sessionAuth: SessionAuthenticator | null;
    /** Counts failed credentials (see `useAuthThrottle`); null: not limited. */
    authThrottle: AuthThrottle | null;
  }
}

/** Limit failed authentications on every surface of `app` (call before registering them). */
export function useAuthThrottle(app: FastifyInstance, throttle: AuthThrottle | null): void {
  app.decorate('authThrottle', throttle);
}

/** `Retry-After` for a request refused with 429 (each surface's error formatter calls this). */
export function setRetryAfter(reply: FastifyReply): void {
  const seconds = reply.request.retryAfterSeconds;
  if (seconds > 0) reply.header('Retry-After', String(seconds));
}

/**
 * Check presented credentials (Basic auth, the console login), counting failures: null when they
 * are wrong, RATE_LIMITED (429, with `Retry-After`) when the client address or the project id has
 * failed too often.
 */
export async function verifyCredentials(verifier: CredentialVerifier, request: FastifyRequest, presentedProjectId: string, token: string, opts: { readonly allowTest?: boolean } = {}): Promise<Principal | null> {
  // One project however its id is written: failures in capitals count against it too.
  const projectId = canonicalId(presentedProjectId);
  const throttle = request.server.authThrottle;
  if (!throttle) return verifier.verify(projectId, token, opts);
  const address = clientAddressKey(request.ip);
  const before = throttle.check(address, projectId, token);
  if (before.limited) throw tooManyFailures(request, before.retryAfterMs);
  const principal = await verifier.verify(projectId, token, opts);
  if (principal) {
    throttle.succeeded(projectId, token, principal.tokenDigest);
    return principal;
  }
  const after = throttle.failed(address, projectId);
  if (after.limited) throw tooManyFailures(request, after.retryAfterMs);
  return null;
}

function tooManyFailures(request: FastifyRequest, retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  request.retryAfterSeconds = seconds;
  return AppError.of('RATE_LIMITED', { message: `Too many failed authentications from your address or for this project; retry in ${seconds} s.` });
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
  /** Set-Cookie renewing the session cookie when authenticating `request` extended its session, else null. */
  renewedCookie(request: FastifyRequest): string | null;
}

/** Header the console sends its CSRF token in (see `ConsoleSessions`). */
export const CSRF_HEADER = 'x-switchboard-csrf';

/**
 * True when a 401 should carry a Basic challenge: not for the console's requests (it sends its CSRF
 * header) nor its own API, since browsers answer a challenge with a login box.
 */
export function wantsBasicChallenge(request: FastifyRequest): boolean {
  return request.headers[CSRF_HEADER] === undefined && !decodedRequestPath(request.url).startsWith('/api/console/');
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

/**
 * Authenticate a request and check a scope; returns the principal or throws. A test token is
 * refused with TEST_CREDENTIALS_FORBIDDEN (403, Twilio's 20008) unless the route `allowTest`s it.
 */
export async function authenticate(verifier: CredentialVerifier, request: FastifyRequest, scope: TokenScope, opts: { readonly allowTest?: boolean } = {}): Promise<Principal> {
  const header = request.headers.authorization;
  // Authorization is a singleton field (RFC 9110 §11.6.2): two lines of it are refused (repeated-fields.ts).
  if (header !== undefined && givenMoreThanOnce(request.raw.rawHeaders, 'authorization')) throw AppError.of('UNAUTHORIZED', { message: 'Authorization was given more than once: send one set of credentials.' });
  const viaSession = header === undefined && request.server.sessionAuth ? await request.server.sessionAuth.authenticate(request) : null;
  const creds = viaSession ? null : parseBasicAuth(header);
  const principal = viaSession ?? (creds ? await verifyCredentials(verifier, request, creds.user, creds.password, { allowTest: true }) : null);
  if (!principal) throw AppError.of('UNAUTHORIZED');
  if (principal.test && !opts.allowTest) throw AppError.of('TEST_CREDENTIALS_FORBIDDEN');
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
