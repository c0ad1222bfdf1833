/**
 * A native send field written under another spelling: Twilio's (`MediaUrl`, `StatusCallback`),
 * camelCase (`mediaUrl`, `sendAt`) or with `_url` (`media_url`). Other unknown fields are ignored,
 * as clients may send extras, but these meant a known field: ignored, `media_url` sent a picture
 * message as a plain SMS without a word (SignalWire's Python SDK passes unknown keyword arguments
 * through as they are written).
 */
import { AppError } from '../../domain/app-error.js';
import { sendMessageBody } from './schemas.js';

/** The fields of `POST /api/messaging/messages`, as its schema has them. */
const SEND_FIELDS = Object.keys(sendMessageBody.properties);

const squash = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
const KNOWN = new Set(SEND_FIELDS);
const MEANT = new Map<string, string>([...SEND_FIELDS.map((f) => [squash(f), f] as const), ['mediaurl', 'media'], ['mediaurls', 'media'], ['statuscallbackurl', 'status_callback']]);

/** Refuse (422) a body field that is a known one spelt otherwise, naming the field meant. */
export function refuseMisnamedFields(body: Record<string, unknown>): void {
  for (const name of Object.keys(body)) {
    if (KNOWN.has(name)) continue;
    const meant = MEANT.get(squash(name));
    if (meant) throw AppError.of('INVALID_PARAMETER', { attribute: name, message: `Unknown field '${name}': did you mean '${meant}'? The native API's fields are ${SEND_FIELDS.join(', ')}.` });
  }
}
