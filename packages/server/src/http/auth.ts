/**
 * HTTP Basic authentication with `project_id:api_token`, shared by every REST surface. Each surface
 * turns the thrown `AppError` (UNAUTHORIZED / FORBIDDEN) into its own error shape.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import type { TokenScope } from '../domain/credentials.js';
import type { CredentialVerifier, Principal } from '../engine/credential-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a surface's auth hook for authenticated routes. */
    principal: Principal | null;
  }
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
  const creds = parseBasicAuth(request.headers.authorization);
  const principal = creds ? await verifier.verify(creds.user, creds.password) : null;
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
