/** The console's session cookie: reading it from a request and writing Set-Cookie values. */
import type { FastifyRequest } from 'fastify';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'switchboard_console';

/**
 * Its name over HTTPS. A browser keeps a `__Host-` cookie only when this host set it over HTTPS
 * for Path=/ and no Domain, so a sibling host (with `Domain=` the parent domain) or a plain-HTTP
 * page of this host cannot plant one of its own sessions, nor shadow ours with a longer Path: the
 * console would then work in the planter's project.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

const cookieName = (secure: boolean): string => (secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE);

/** The session id from the request's Cookie header, or null; over HTTPS only the `__Host-` cookie counts. */
export function sessionCookieOf(request: FastifyRequest, secure: boolean): string | null {
  const header = request.headers.cookie;
  if (!header || header.length > 8192) return null;
  const name = cookieName(secure);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    // Our ids are 43 base64url characters; anything else is not ours.
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : null;
  }
  return null;
}

/**
 * Set-Cookie for a session: httpOnly (scripts never see it), SameSite=Strict (never sent with
 * requests other sites start), Secure and `__Host-` named on HTTPS, for the whole server (the console calls the
 * public APIs with it), with the session's lifetime.
 */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${cookieName(secure)}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/**
 * True when the browser reaches us over TLS (then the cookie is Secure): the request came over it,
 * or the public URL is https (a proxy in front ends TLS and talks plain HTTP to us).
 */
export const cookieSecure = (request: FastifyRequest, publicUrl: string | null): boolean => request.protocol === 'https' || /^https:/i.test(publicUrl ?? '');

/** Set-Cookie that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${cookieName(secure)}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
