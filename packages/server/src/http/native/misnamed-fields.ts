/**
 * A native body field written under another spelling: Twilio's (`MediaUrl`, `StatusCallback`,
 * `FriendlyName`), camelCase (`mediaUrl`, `sendAt`, `stickySender`) or with `_url` (`media_url`).
 * Other unknown fields are ignored, as clients may send extras (a read, edited and written back
 * whole, carries read-only fields), but these meant a known field: ignored, `media_url` sent a
 * picture message as a plain SMS without a word, and `stickySender: true` made a group that is not
 * sticky (SignalWire's Python SDK passes unknown keyword arguments through as they are written).
 * Used by the native creates and updates that take a fixed set of fields: messages, phone numbers
 * and short codes, number groups.
 */
import { AppError } from '../../domain/app-error.js';
import { sendMessageBody } from './schemas.js';

const squash = (name: string) => name.toLowerCase().replace(/[_-]/g, '');

/**
 * A check refusing (422 `invalid_parameter`, naming the field meant) a body field that is one of
 * `fields` spelt otherwise, or one of `aliases` (squashed spelling → field). `known` ends the
 * message: what the body takes.
 */
export function misnamedFieldsCheck(fields: readonly string[], aliases: Record<string, string>, known: string): (body: Record<string, unknown>) => void {
  const exact = new Set(fields);
  const meantBy = new Map<string, string>([...fields.map((f) => [squash(f), f] as const), ...Object.entries(aliases)]);
  return (body) => {
    for (const name of Object.keys(body)) {
      if (exact.has(name)) continue;
      const meant = meantBy.get(squash(name));
      if (meant) throw AppError.of('INVALID_PARAMETER', { attribute: name, message: `Unknown field '${name}': did you mean '${meant}'? ${known}.` });
    }
  };
}

/** The fields of `POST /api/messaging/messages`, as its schema has them. */
const SEND_FIELDS = Object.keys(sendMessageBody.properties);

/** Refuse (422) a send field that is a known one spelt otherwise, naming the field meant. */
export const refuseMisnamedFields = misnamedFieldsCheck(
  SEND_FIELDS,
  { mediaurl: 'media', mediaurls: 'media', statuscallbackurl: 'status_callback' },
  `The native API's fields are ${SEND_FIELDS.join(', ')}`,
);

/** The fields of a number group's create and update (SignalWire's `name`, `sticky_sender`). */
const GROUP_FIELDS = ['name', 'sticky_sender'] as const;

/** Refuse (422) a number-group field spelt otherwise (`stickySender`, `Name`, `FriendlyName`). */
export const refuseMisnamedGroupFields = misnamedFieldsCheck(GROUP_FIELDS, { friendlyname: 'name', sticky: 'sticky_sender' }, `A number group takes ${GROUP_FIELDS.join(', ')}`);

/** The fields of a phone number's registration and update (and a short code's update). */
const NUMBER_FIELDS = [
  'number',
  'name',
  'capabilities',
  'message_handler',
  'message_request_url',
  'message_request_method',
  'message_fallback_url',
  'message_fallback_method',
  'message_laml_application_id',
  'message_relay_topic',
  'message_relay_context',
  'message_relay_application',
  'messaging_handler_resource_id',
  'messages_per_second',
] as const;

/** Refuse (422) a phone-number field spelt otherwise (`messageRequestUrl`, the Compatibility API's `SmsUrl`). */
export const refuseMisnamedNumberFields = misnamedFieldsCheck(
  NUMBER_FIELDS,
  {
    phonenumber: 'number',
    friendlyname: 'name',
    smsurl: 'message_request_url',
    smsmethod: 'message_request_method',
    smsfallbackurl: 'message_fallback_url',
    smsfallbackmethod: 'message_fallback_method',
    smsapplicationsid: 'message_laml_application_id',
  },
  `A phone number takes ${NUMBER_FIELDS.join(', ')}`,
);
