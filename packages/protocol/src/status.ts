/**
 * Canonical message states and how each surface names them.
 *
 * One lifecycle for every surface: `queued → initiated → sent → delivered | undelivered | failed`
 * for outbound messages, `received` for inbound ones. A scheduled message starts `scheduled` and
 * becomes `queued` at its send time, or ends `canceled`. Surfaces map at their edge (the
 * Compatibility API reports `initiated` as `sending`).
 */

/** Every canonical message state. */
export const MESSAGE_STATUSES = ['scheduled', 'queued', 'initiated', 'sent', 'delivered', 'undelivered', 'failed', 'received', 'canceled'] as const;

/** A canonical message state. */
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** States after which an outbound message never changes again. */
export const TERMINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'undelivered', 'failed', 'received', 'canceled'];

/** True when a message in this state will not change any more. */
export function isTerminalStatus(status: MessageStatus): boolean {
  return status === 'delivered' || status === 'undelivered' || status === 'failed' || status === 'received' || status === 'canceled';
}

/** True for states in which a message is still being worked on (redaction and deletion are refused). */
export function isInProgressStatus(status: MessageStatus): boolean {
  return status === 'queued' || status === 'initiated' || status === 'scheduled';
}

/** True when the string is a canonical message state. */
export function isMessageStatus(value: unknown): value is MessageStatus {
  return typeof value === 'string' && (MESSAGE_STATUSES as readonly string[]).includes(value);
}

/** Message direction as stored: the native and RELAY surfaces show it as is. */
export type MessageDirection = 'inbound' | 'outbound';

/** The surface (or mechanism) a message came in through; drives compat `direction` and log `source`/`type`. */
export type MessageOrigin = 'rest' | 'compat' | 'relay' | 'reply' | 'console' | 'inbound';

/** SMS or MMS. */
export type MessageKind = 'sms' | 'mms';

/** Status names used by the Compatibility API (Twilio vocabulary). */
export type CompatMessageStatus =
  | 'scheduled'
  | 'canceled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'receiving'
  | 'received';

/** Map a canonical state to its Compatibility API name (`initiated` is reported as `sending`). */
export function toCompatStatus(status: MessageStatus): CompatMessageStatus {
  return status === 'initiated' ? 'sending' : status;
}

/** Map a Compatibility API status filter back to the canonical state; unknown names give `undefined`. */
export function fromCompatStatus(status: string): MessageStatus | undefined {
  if (status === 'sending' || status === 'initiated') return 'initiated';
  if (status === 'receiving') return 'received';
  return isMessageStatus(status) ? status : undefined;
}

/** Compatibility API direction for a message. */
export type CompatDirection = 'inbound' | 'outbound-api' | 'outbound-call' | 'outbound-reply';

/** Compat `direction` from stored direction and origin: replies sent by a cXML document are `outbound-reply`. */
export function toCompatDirection(direction: MessageDirection, origin: MessageOrigin): CompatDirection {
  if (direction === 'inbound') return 'inbound';
  return origin === 'reply' ? 'outbound-reply' : 'outbound-api';
}
