/** The console's session cookie: reading it from a request and writing Set-Cookie values. */
import type { FastifyRequest } from 'fastify';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'switchboard_console';

/** The session id from the request's Cookie header, or null. */
export function sessionCookieOf(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header || header.length > 8192) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    // Our ids are 43 base64url characters; anything else is not ours.
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : null;
  }
  return null;
}

/**
 * Set-Cookie for a session: httpOnly (scripts never see it), SameSite=Strict (never sent with
 * requests other sites start), Secure on HTTPS, for the whole server (the console calls the
 * public APIs with it), with the session's lifetime.
 */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/**
 * True when the browser reaches us over TLS (then the cookie is Secure): the request came over it,
 * or the public URL is https (a proxy in front ends TLS and talks plain HTTP to us).
 */
export const cookieSecure = (request: FastifyRequest, publicUrl: string | null): boolean => request.protocol === 'https' || /^https:/i.test(publicUrl ?? '');

/** Set-Cookie that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
