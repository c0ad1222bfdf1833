/**
 * Credentials in a webhook URL (`https://user:password@host/path`): Twilio's way of asking for HTTP
 * Basic authentication on status callbacks and cXML fetches (twilio.com/docs/usage/security, "HTTP
 * authentication"). They are taken out of the URL: the request goes to the URL without them, with
 * an `Authorization: Basic` header; the signature covers the URL without them (what the receiver
 * sees, and what the official validators rebuild from the request); and nothing logged or recorded
 * (attempts, failure logs) carries the password.
 */

/** The URL without credentials, and the `Authorization` header they ask for (null: none given). */
export function splitCredentials(url: string): { url: string; authorization: string | null } {
  // Fast path: no `@` in the authority (between `//` and the next `/`, `?` or `#`).
  const start = url.indexOf('//');
  if (start < 0) return { url, authorization: null };
  let end = url.length;
  for (const c of ['/', '?', '#']) {
    const i = url.indexOf(c, start + 2);
    if (i >= 0 && i < end) end = i;
  }
  const at = url.lastIndexOf('@', end);
  if (at < start) return { url, authorization: null };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, authorization: null };
  }
  const user = safeDecode(parsed.username);
  const password = safeDecode(parsed.password);
  // Only the authority changes: the rest of the URL stays exactly as configured (it is signed).
  const bare = url.slice(0, start + 2) + url.slice(at + 1);
  if (user === '' && password === '') return { url: bare, authorization: null };
  return { url: bare, authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
