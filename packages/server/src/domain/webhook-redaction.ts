/**
 * A redacted message's text leaves its stored webhook requests too. Every delivery of a message
 * (its status callbacks, the cXML request of an inbound message, the action request of a reply)
 * carries the message's body: as `Body` in a form, as `body` in a native JSON callback. Left in
 * the outbox, a callback still retrying after the redaction would send the erased text, and the
 * console's view of the message's webhooks would show it for the outbox's retention.
 */
import type { SignatureScheme } from './webhooks.js';

/**
 * `body` of a stored delivery signed with `signature` with the message's text emptied; the same
 * string when it carries none. A form is written again as `URLSearchParams` writes it, which is
 * the text the planners wrote (`formBody`); a JSON callback as `JSON.stringify` wrote it.
 */
export function withoutMessageText(signature: SignatureScheme, body: string): string {
  if (signature === 'json-hex') {
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return body;
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return body;
    const fields = payload as Record<string, unknown>;
    if (typeof fields.body !== 'string' || fields.body === '') return body;
    fields.body = '';
    return JSON.stringify(fields);
  }
  const form = new URLSearchParams(body);
  if (!form.get('Body')) return body;
  form.set('Body', '');
  return form.toString();
}
