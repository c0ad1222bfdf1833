/**
 * The wire form of a webhook delivery (body, signature and headers for its scheme and method), and
 * a failed exchange described for its attempt record. Used by `WebhookRunner`.
 */
import type { WebhookDeliveryRecord } from '../domain/webhooks.js';
import { signFormRequest, signJsonRequest } from './signing.js';

/**
 * The URL as it goes on the wire: the HTTP client percent-encodes what a configured URL leaves raw
 * (`?name=José Ñ` is requested as `?name=Jos%C3%A9%20%C3%91`), lower-cases the host and writes an
 * IDN host in punycode. The signature must cover that form — the only one the receiver sees, and
 * what twilio's `validateRequest`/`webhook()` rebuild from the request — not the text as given.
 */
export function wireUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/** The wire request for a delivery: body, signature and headers for its scheme and method. */
export function buildRequest(d: WebhookDeliveryRecord, configuredUrl: string, method: 'GET' | 'POST', key: string) {
  const url = wireUrl(configuredUrl);
  const headers: Record<string, string> = {};
  if (d.signature === 'json-hex') {
    const signature = signJsonRequest(key, url, d.body);
    headers['Content-Type'] = d.contentType ?? 'application/json';
    headers['X-SignalWire-Signature'] = signature;
    return { requestUrl: url, body: d.body, signature, headers };
  }
  // Form scheme: the stored body is a urlencoded parameter list, sent as the body (POST) or query (GET).
  const params = [...new URLSearchParams(d.body)];
  if (method === 'GET') {
    const requestUrl = d.body ? `${url}${url.includes('?') ? '&' : '?'}${d.body}` : url;
    const signature = signFormRequest(key, requestUrl, []);
    headers['X-SignalWire-Signature'] = signature;
    headers['X-Twilio-Signature'] = signature;
    return { requestUrl, body: null, signature, headers };
  }
  const signature = signFormRequest(key, url, params);
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  headers['X-SignalWire-Signature'] = signature;
  headers['X-Twilio-Signature'] = signature;
  return { requestUrl: url, body: d.body, signature, headers };
}

export function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `timeout (${code ?? err.name})`;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
