/**
 * Webhook signatures, header `X-SignalWire-Signature` (and `X-Twilio-Signature` on form requests):
 * - JSON requests (native, RELAY): hex HMAC-SHA1 over URL + raw body;
 * - form and GET requests (Compatibility/cXML): Base64 HMAC-SHA1 over URL + each parameter name
 *   immediately followed by its value, names sorted byte-wise (rest-apis §B.10).
 * The key is the project's signing key.
 */
import { createHmac } from 'node:crypto';

/** Hex HMAC-SHA1 of `url + rawBody`. */
export function signJsonRequest(signingKey: string, url: string, rawBody: string): string {
  return createHmac('sha1', signingKey).update(url + rawBody, 'utf8').digest('hex');
}

/**
 * Base64 HMAC-SHA1 of the URL followed by the sorted parameters. Repeated names contribute each
 * value in the order given, as the official validators do.
 */
export function signFormRequest(signingKey: string, url: string, params: ReadonlyArray<readonly [string, string]>): string {
  const sorted = [...params].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let data = url;
  for (const [name, value] of sorted) data += name + value;
  return createHmac('sha1', signingKey).update(data, 'utf8').digest('base64');
}
