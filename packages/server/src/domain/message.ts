import type { Encoding, MessageDirection, MessageKind, MessageOrigin, MessageStatus } from '@switchboard/protocol';

/**
 * How a status callback is encoded: native/RELAY JSON, or Compatibility form fields; or, for a
 * reply sent by a cXML `<Message action=…>`, the action URL requested (POST or GET) once the reply
 * is sent or has failed, whose answer is executed as cXML.
 */
export type CallbackFormat = 'json' | 'form' | 'action-post' | 'action-get';

/** A message as the platform stores it (surface-neutral; each surface presents it its own way). */
export interface MessageRecord {
  readonly id: string;
  readonly projectId: string;
  /** Monotonic insertion order, used for paging cursors. */
  readonly seq: number;
  readonly direction: MessageDirection;
  readonly origin: MessageOrigin;
  readonly from: string;
  readonly to: string;
  /** `''` for media-only or redacted messages. */
  readonly body: string;
  readonly media: readonly string[];
  readonly kind: MessageKind;
  readonly encoding: Encoding;
  readonly segments: number;
  readonly status: MessageStatus;
  /** Compatibility numeric code as a string (`"30003"`), on failures. */
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  /** Native code string of the failure (`unreachable_destination_handset`); RELAY's `reason`. */
  readonly reason: string | null;
  readonly statusCallback: string | null;
  readonly callbackFormat: CallbackFormat | null;
  readonly customVariables: Readonly<Record<string, string>> | null;
  /** RELAY context state events are routed to. */
  readonly context: string | null;
  readonly tags: readonly string[];
  readonly numberGroupId: string | null;
  readonly applicationId: string | null;
  readonly price: number | null;
  readonly priceUnit: string;
  readonly maxPrice: string | null;
  /** Seconds the message may wait to be sent. */
  readonly validityPeriod: number;
  /** When a still-waiting message fails with the validity-expired code (ms). */
  readonly expiresAt: number;
  readonly carrier: string | null;
  readonly carrierMessageId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly sentAt: number | null;
  readonly redactedAt: number | null;
  readonly deletedAt: number | null;
  /**
   * On a reply a cXML document sent (`outbound-reply`): the inbound message whose webhook began the
   * exchange, which redirects and `<Message action>` documents continue; null on every other message.
   */
  readonly cxmlSession: string | null;
  /** On a message a RELAY session sent: that session's protocol, so its state events find it after a restart or on another node (0023). */
  readonly relaySender: string | null;
}

/** A state change of a message, as kept in `message_events`. */
export interface MessageEventRecord {
  readonly id: number;
  readonly messageId: string;
  readonly projectId: string;
  readonly status: MessageStatus;
  readonly at: number;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  /** Free-form facts for the timeline: carrier, carrier message id, attempt, throttling... */
  readonly detail: Readonly<Record<string, unknown>> | null;
}

/** The fields of a message that change after it is accepted, as a state change leaves them. */
export type MessageState = Pick<
  MessageRecord,
  'id' | 'projectId' | 'status' | 'errorCode' | 'errorMessage' | 'reason' | 'carrier' | 'carrierMessageId' | 'price' | 'updatedAt' | 'sentAt' | 'redactedAt' | 'deletedAt'
>;

/**
 * A record with a fresh state applied: immutable fields from `base`, everything that changes from `state`.
 * Written out field by field (in `messageFromRow`'s order), not spread: this runs for every state
 * change, and one literal gives every record the same shape.
 */
export function withState(base: MessageRecord, state: MessageState): MessageRecord {
  return {
    id: state.id,
    projectId: state.projectId,
    seq: base.seq,
    direction: base.direction,
    origin: base.origin,
    from: base.from,
    to: base.to,
    // Redaction is the one change to the content; the emptied body is not worth reading back.
    body: state.redactedAt !== null ? '' : base.body,
    media: base.media,
    kind: base.kind,
    encoding: base.encoding,
    segments: base.segments,
    status: state.status,
    errorCode: state.errorCode,
    errorMessage: state.errorMessage,
    reason: state.reason,
    statusCallback: base.statusCallback,
    callbackFormat: base.callbackFormat,
    customVariables: base.customVariables,
    context: base.context,
    tags: base.tags,
    numberGroupId: base.numberGroupId,
    applicationId: base.applicationId,
    price: state.price,
    priceUnit: base.priceUnit,
    maxPrice: base.maxPrice,
    validityPeriod: base.validityPeriod,
    expiresAt: base.expiresAt,
    carrier: state.carrier,
    carrierMessageId: state.carrierMessageId,
    createdAt: base.createdAt,
    updatedAt: state.updatedAt,
    sentAt: state.sentAt,
    redactedAt: state.redactedAt,
    deletedAt: state.deletedAt,
    cxmlSession: base.cxmlSession,
    relaySender: base.relaySender,
  };
}

/** A record's state with another status and update time (for `withState`), written out like it. */
export function restated(m: Omit<MessageRecord, 'seq'>, status: MessageStatus, updatedAt: number): MessageState {
  return {
    id: m.id,
    projectId: m.projectId,
    status,
    errorCode: m.errorCode,
    errorMessage: m.errorMessage,
    reason: m.reason,
    carrier: m.carrier,
    carrierMessageId: m.carrierMessageId,
    price: m.price,
    updatedAt,
    sentAt: m.sentAt,
    redactedAt: m.redactedAt,
    deletedAt: m.deletedAt,
  };
}

/** A new message with the `seq` the store gave it: the same shape as every other record (see `withState`). */
export function withSeq(m: NewMessage, seq: number): MessageRecord {
  return {
    id: m.id,
    projectId: m.projectId,
    seq,
    direction: m.direction,
    origin: m.origin,
    from: m.from,
    to: m.to,
    body: m.body,
    media: m.media,
    kind: m.kind,
    encoding: m.encoding,
    segments: m.segments,
    status: m.status,
    errorCode: m.errorCode,
    errorMessage: m.errorMessage,
    reason: m.reason,
    statusCallback: m.statusCallback,
    callbackFormat: m.callbackFormat,
    customVariables: m.customVariables,
    context: m.context,
    tags: m.tags,
    numberGroupId: m.numberGroupId,
    applicationId: m.applicationId,
    price: m.price,
    priceUnit: m.priceUnit,
    maxPrice: m.maxPrice,
    validityPeriod: m.validityPeriod,
    expiresAt: m.expiresAt,
    carrier: m.carrier,
    carrierMessageId: m.carrierMessageId,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    sentAt: m.sentAt,
    redactedAt: m.redactedAt,
    deletedAt: m.deletedAt,
    cxmlSession: m.cxmlSession,
    relaySender: m.relaySender,
  };
}

/** A message event before it has its id. */
export type NewMessageEvent = Omit<MessageEventRecord, 'id'>;

/** A message row before the store gives it its `seq`. */
export type NewMessage = Omit<MessageRecord, 'seq'>;

/** Default validity period of outbound messages, in seconds (4 hours). */
export const DEFAULT_VALIDITY_PERIOD = 14_400;
/** Largest validity period accepted, in seconds (48 hours). */
export const MAX_VALIDITY_PERIOD = 172_800;
/** Largest number of media URLs on one message. */
export const MAX_MEDIA = 8;
