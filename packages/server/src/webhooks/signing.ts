/**
 * Webhook signatures, header `X-SignalWire-Signature` (and `X-Twilio-Signature` on form requests):
 * - JSON requests (native, RELAY): hex HMAC-SHA1 over URL + raw body;
 * - form and GET requests (Compatibility/cXML): Base64 HMAC-SHA1 over URL + each parameter name
 *   immediately followed by its value, names sorted byte-wise (rest-apis §B.10).
 * The key is the project's signing key.
 *
 * The functions here are self-contained (no imports; only globals and each other): the webhook
 * HTTP worker runs their text (`http-worker-source.ts`), so the wire form is built and signed off
 * the thread that owns the database, and the tests here check the very code it runs.
 */
import type { SignatureScheme } from '../domain/webhooks.js';

/** Hex HMAC-SHA1 of `url + rawBody`. */
export function signJsonRequest(signingKey: string, url: string, rawBody: string): string {
  return process.getBuiltinModule('node:crypto').createHmac('sha1', signingKey).update(url + rawBody, 'utf8').digest('hex');
}

/**
 * Base64 HMAC-SHA1 of the URL followed by the sorted parameters. Repeated names contribute each
 * value in the order given, as the official validators do.
 */
export function signFormRequest(signingKey: string, url: string, params: ReadonlyArray<readonly [string, string]>): string {
  const sorted = [...params].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let data = url;
  for (const [name, value] of sorted) data += name + value;
  return process.getBuiltinModule('node:crypto').createHmac('sha1', signingKey).update(data, 'utf8').digest('base64');
}

/**
 * The URL as it goes on the wire: the HTTP client percent-encodes what a configured URL leaves raw
 * (`?name=José Ñ` is requested as `?name=Jos%C3%A9%20%C3%91`), lower-cases the host and writes an
 * IDN host in punycode, and a `#fragment` never leaves the client. The signature must cover that
 * form — the only one the receiver sees, and what twilio's `validateRequest`/`webhook()` rebuild
 * from the request — not the text as given (and a GET's parameters must not land in a fragment).
 */
export function wireUrl(url: string): string {
  try {
    const u = new URL(url);
    u.hash = '';
    return u.href;
  } catch {
    return url;
  }
}

/** What a delivery's wire form is built from. */
export interface WireSource {
  readonly signature: SignatureScheme;
  readonly contentType: string | null;
  readonly body: string;
}

/** A delivery as it goes on the wire: the URL requested, its body, signature and headers. */
export interface WireRequest {
  readonly requestUrl: string;
  readonly body: string | null;
  readonly signature: string;
  readonly headers: Record<string, string>;
}

/** The wire request for a delivery: body, signature and headers for its scheme and method. */
export function wireRequest(d: WireSource, configuredUrl: string, method: 'GET' | 'POST', key: string): WireRequest {
  const url = wireUrl(configuredUrl);
  const headers: Record<string, string> = {};
  if (d.signature === 'json-hex') {
    const signature = signJsonRequest(key, url, d.body);
    headers['Content-Type'] = d.contentType ?? 'application/json';
    headers['X-SignalWire-Signature'] = signature;
    return { requestUrl: url, body: d.body, signature, headers };
  }
  // Form scheme: the stored body is a urlencoded parameter list, sent as the body (POST) or query (GET).
  if (method === 'GET') {
    const requestUrl = d.body ? `${url}${url.includes('?') ? '&' : '?'}${d.body}` : url;
    const signature = signFormRequest(key, requestUrl, []);
    headers['X-SignalWire-Signature'] = signature;
    headers['X-Twilio-Signature'] = signature;
    return { requestUrl, body: null, signature, headers };
  }
  const signature = signFormRequest(key, url, [...new URLSearchParams(d.body)]);
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  headers['X-SignalWire-Signature'] = signature;
  headers['X-Twilio-Signature'] = signature;
  return { requestUrl: url, body: d.body, signature, headers };
}

/** A delivery to build and sign (`WebhookRequest.sign`): the project's key, and the delivery's scheme and content type. */
export interface WireSigning {
  readonly key: string;
  readonly scheme: SignatureScheme;
  readonly contentType: string | null;
}

/**
 * A request as it goes on the wire: a delivery (`sign`) in its signed wire form (`url` and `body`
 * the delivery's, `headers` added to the form's), any other request as given, unsigned.
 */
export function wireOf(r: { readonly url: string; readonly method: 'GET' | 'POST'; readonly headers: Record<string, string>; readonly body: string | null; readonly sign?: WireSigning }): WireRequest {
  if (!r.sign) return { requestUrl: r.url, body: r.body, signature: '', headers: r.headers };
  const wire = wireRequest({ signature: r.sign.scheme, contentType: r.sign.contentType, body: r.body ?? '' }, r.url, r.method, r.sign.key);
  return { requestUrl: wire.requestUrl, body: wire.body, signature: wire.signature, headers: Object.assign(wire.headers, r.headers) };
}
