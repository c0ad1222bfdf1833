/**
 * RELAY events (server → client `signalwire.event`): the envelope and the messaging payloads
 * (spec relay-protocol §6). Inner params always carry `message_id`, `context`, `media` (`[]` when
 * none), `segments` and `tags`.
 */

/** Outbound states of `messaging.state`, and `received` for `messaging.receive`. */
export type MessagingMessageState = 'queued' | 'initiated' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received';

/** States after which a message never changes again. */
export const MESSAGE_TERMINAL_STATES: readonly MessagingMessageState[] = ['delivered', 'undelivered', 'failed'];

/** Event type: the session's opaque resume token changed. */
export const EVENT_AUTHORIZATION_STATE = 'signalwire.authorization.state';
/** Event type: an outbound message changed state. */
export const EVENT_MESSAGING_STATE = 'messaging.state';
/** Event type: an inbound message arrived on a subscribed context. */
export const EVENT_MESSAGING_RECEIVE = 'messaging.receive';

/** Fields shared by both messaging payloads. */
export interface MessagingEventData {
  readonly message_id: string;
  readonly context: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from_number: string;
  readonly to_number: string;
  readonly body: string;
  readonly media: readonly string[];
  readonly segments: number;
  readonly tags: readonly string[];
  readonly message_state: MessagingMessageState;
}

/** Inner params of `messaging.state`. */
export interface MessagingStateEventData extends MessagingEventData {
  readonly direction: 'outbound';
  /** Native failure code (e.g. `unreachable_destination_handset`); only on `undelivered`/`failed`. */
  readonly reason?: string;
}

/** Inner params of `messaging.receive`. */
export interface MessagingReceiveEventData extends MessagingEventData {
  readonly direction: 'inbound';
  readonly message_state: 'received';
}

/** Inner params of `signalwire.authorization.state`. */
export interface AuthorizationStateEventData {
  readonly authorization_state: string;
}

/** Event type → inner params. */
export interface RelayEventMap {
  [EVENT_AUTHORIZATION_STATE]: AuthorizationStateEventData;
  [EVENT_MESSAGING_STATE]: MessagingStateEventData;
  [EVENT_MESSAGING_RECEIVE]: MessagingReceiveEventData;
}

/** An event type Switchboard sends. */
export type RelayEventType = keyof RelayEventMap;

/** Params of a `signalwire.event` request (the envelope). */
export interface SignalwireEventParams<T extends RelayEventType = RelayEventType> {
  readonly event_type: T;
  /** Seconds since the epoch, fractional. */
  readonly timestamp: number;
  readonly project_id: string;
  /** Switchboard has one space per project: the project id. */
  readonly space_id: string;
  /** Messaging events: the message's context (also inside `params`). */
  readonly context?: string;
  /** Session events: the session's protocol. */
  readonly event_channel?: string;
  readonly params: RelayEventMap[T];
}
