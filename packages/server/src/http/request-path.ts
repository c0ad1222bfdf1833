/**
 * The path of a request as the router reads it. HTTP/1.1 servers must accept a request target in
 * absolute form (`GET http://host/api/… HTTP/1.1`, RFC 9112 §3.2.2), and Fastify's router routes it
 * by its path; anything else that decides by path — which surface's error shape an answer takes,
 * which methods a path takes, the path an error message names — reads the same path, not the raw
 * target.
 */

/** An absolute-form target's scheme and authority, as the router strips them (http and https only). */
const SCHEME_AND_AUTHORITY = /^https?:\/\/[^/?#]*/i;

/** The target in origin form (path and query); a target in neither form (`*`) as it is. */
export function originForm(target: string): string {
  if (target.startsWith('/') || !SCHEME_AND_AUTHORITY.test(target)) return target;
  const rest = target.replace(SCHEME_AND_AUTHORITY, '');
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** The target's path, as sent (still percent-encoded): no scheme, authority, query or fragment. */
export function requestPath(target: string): string {
  const origin = originForm(target);
  const end = origin.search(/[?#]/);
  return end < 0 ? origin : origin.slice(0, end);
}

/**
 * The path percent-decoded as the router matches it (`/api/%6Caml` is `/api/laml`). A path that does
 * not decode as a whole (a malformed escape, which the router refuses) keeps its bad escapes, but its
 * escaped ASCII characters (`%00`–`%7F`, reserved ones such as `%2F` excepted) are still read, so that
 * the refusal takes the shape of the API the rest of the path names (`/api/lam%6C/…/%zz` is a
 * Compatibility API path).
 */
export function decodedRequestPath(target: string): string {
  const path = requestPath(target);
  try {
    return decodeURI(path);
  } catch {
    // decodeURI leaves reserved characters (`%2F`) encoded, as the router does.
    return path.replace(/%[0-7][0-9A-Fa-f]/g, (escape) => decodeURI(escape));
  }
}
