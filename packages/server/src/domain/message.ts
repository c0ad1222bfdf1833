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

/** A record with a fresh state applied: immutable fields from `base`, everything that changes from `state`. */
export function withState(base: MessageRecord, state: MessageState): MessageRecord {
  return {
    ...base,
    ...state,
    // Redaction is the one change to the content; the emptied body is not worth reading back.
    body: state.redactedAt !== null ? '' : base.body,
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
