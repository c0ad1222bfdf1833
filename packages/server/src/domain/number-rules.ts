/**
 * Validation of phone-number registration and messaging-handler settings (rest-apis §A.6).
 */
import { MESSAGE_HANDLERS, type ErrorDetail, type MessageHandler, type NumberCapability } from '@switchboard/protocol';
import { detail } from './app-error.js';
import type { PhoneNumberRecord } from './project.js';
import type { PhoneNumberPatch } from './ports/store.js';
import { isSenderRate, SENDER_RATE_RULE } from './sender-rates.js';
import { preview } from './preview.js';
import { HTTP_URL_RULE, parseHttpUrl, UNTRIMMED_URL_PROBLEM, untrimmedUrl } from './urls.js';

const CAPABILITIES: readonly NumberCapability[] = ['voice', 'sms', 'mms', 'fax'];

function invalid(attribute: string, message: string): ErrorDetail {
  return detail('NUMBER_FIELD_INVALID', { attribute, message });
}

/** Check capabilities given at registration or update. */
export function checkCapabilities(value: unknown): { value?: NumberCapability[]; errors: ErrorDetail[] } {
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string' || !CAPABILITIES.includes(c as NumberCapability))) {
    return { errors: [invalid('capabilities', `Capabilities must be a list of ${CAPABILITIES.join(', ')}.`)] };
  }
  return { value: [...new Set(value as NumberCapability[])], errors: [] };
}

/** How the native API names a field in its messages. */
const nativeLabel = (wire: string): string => (wire === 'name' ? 'Name' : wire);

/**
 * Turn an update body (snake_case wire names) into a patch, or the list of problems.
 * Unknown fields are ignored, as the API documents a partial update. `label` names a field in the
 * messages, so a surface with other parameter names (the Compatibility API's `SmsUrl`) can use its own.
 */
export function checkNumberPatch(body: Record<string, unknown>, label: (wire: string) => string = nativeLabel): { patch: PhoneNumberPatch; errors: ErrorDetail[] } {
  const errors: ErrorDetail[] = [];
  const patch: { -readonly [K in keyof PhoneNumberPatch]: PhoneNumberPatch[K] } = {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(body, k) && body[k] !== undefined;

  if (has('name')) {
    if (body.name !== null && (typeof body.name !== 'string' || body.name.length > 255)) errors.push(invalid('name', `${label('name')} must be a string of at most 255 characters.`));
    else patch.name = (body.name as string | null) || null;
  }
  if (has('capabilities')) {
    const c = checkCapabilities(body.capabilities);
    errors.push(...c.errors);
    if (c.value) patch.capabilities = c.value;
  }
  if (has('message_handler')) {
    const h = body.message_handler;
    if (h !== null && !(typeof h === 'string' && (MESSAGE_HANDLERS as readonly string[]).includes(h))) {
      errors.push(invalid('message_handler', `Message handler must be one of ${MESSAGE_HANDLERS.join(', ')}.`));
    } else patch.messageHandler = h as MessageHandler | null;
  }
  for (const [wire, field] of [
    ['message_request_url', 'messageRequestUrl'],
    ['message_fallback_url', 'messageFallbackUrl'],
  ] as const) {
    if (!has(wire)) continue;
    const v = body[wire];
    if (v === null || v === '') patch[field] = null;
    // Refused, not trimmed, as media URLs and status callbacks are (urls.ts).
    else if (untrimmedUrl(v)) errors.push(detail('WEBHOOK_URL_INVALID', { attribute: wire, message: `${label(wire)} ${preview(v)} ${UNTRIMMED_URL_PROBLEM}.` }));
    else if (!parseHttpUrl(v)) errors.push(detail('WEBHOOK_URL_INVALID', { attribute: wire, message: `${label(wire)} must be ${HTTP_URL_RULE}.` }));
    else patch[field] = v as string;
  }
  for (const [wire, field] of [
    ['message_request_method', 'messageRequestMethod'],
    ['message_fallback_method', 'messageFallbackMethod'],
  ] as const) {
    if (!has(wire)) continue;
    const v = typeof body[wire] === 'string' ? (body[wire] as string).toUpperCase() : body[wire];
    if (v !== 'GET' && v !== 'POST') errors.push(invalid(wire, `${label(wire)} must be GET or POST.`));
    else patch[field] = v;
  }
  for (const [wire, field] of [
    ['message_laml_application_id', 'messageLamlApplicationId'],
    ['message_relay_topic', 'messageRelayTopic'],
    ['message_relay_context', 'messageRelayContext'],
    ['message_relay_application', 'messageRelayContext'],
    ['messaging_handler_resource_id', 'messagingHandlerResourceId'],
  ] as const) {
    if (!has(wire)) continue;
    const v = body[wire];
    if (v !== null && (typeof v !== 'string' || v.length > 255)) errors.push(invalid(wire, `${label(wire)} must be a string of at most 255 characters.`));
    else patch[field] = (v as string | null) || null;
  }
  if (has('messages_per_second')) {
    const v = body.messages_per_second;
    if (v === null) patch.messagesPerSecond = null;
    else if (!isSenderRate(v)) {
      errors.push(invalid('messages_per_second', `messages_per_second must be ${SENDER_RATE_RULE}; or null for the number type's default.`));
    } else patch.messagesPerSecond = v;
  }
  return { patch, errors };
}

/**
 * The RELAY context (topic) a number hands inbound messages to: only when its message handler is
 * a RELAY one, and then the field that handler names (SignalWire pairs each handler with its
 * companion field: `relay_topic` with `message_relay_topic`; `relay_context` and
 * `relay_application`, stored as the context, with `message_relay_context`). The other field is
 * the fallback when the named one is empty: the numbers created at first start have context
 * `default`, which a number switched to `relay_topic` without a topic keeps using.
 */
export function relayContextOf(n: Pick<PhoneNumberRecord, 'messageHandler' | 'messageRelayContext' | 'messageRelayTopic'>): string | null {
  if (n.messageHandler === 'relay_topic') return n.messageRelayTopic ?? n.messageRelayContext ?? null;
  if (n.messageHandler === 'relay_context' || n.messageHandler === 'relay_application') return n.messageRelayContext ?? n.messageRelayTopic ?? null;
  return null;
}
