/**
 * The events of a `RelayClient`: each `signalwire.event` is acked, a repeat (a resumed session
 * replays events) is dropped, `messaging.state` goes to the sent message it concerns (followed
 * until it completes) and `messaging.receive` to the `onMessage` handlers.
 */
import { EVENT_AUTHORIZATION_STATE, EVENT_MESSAGING_RECEIVE, EVENT_MESSAGING_STATE, type MessagingReceiveEventData, type MessagingStateEventData } from '@switchboard/protocol';
import { Message } from './message.js';
import { RelayEvent } from './relay-event.js';
import type { RelayLogger } from './relay-logger.js';

/** Handles inbound messages. */
export type InboundMessageHandler = (message: Message) => unknown;

/** What the events need of the rest of the client. */
export interface EventHooks {
  /** Ack a `signalwire.event` request. */
  ack(id: unknown): void;
  /** The server's new `authorization_state`, to offer back when resuming. */
  onAuthorizationState(state: string): void;
}

/** Event ids remembered to drop replays. */
const SEEN_EVENTS = 5_000;
/** Messages, and events per message, kept while their send answer is still on its way. */
const EARLY_MESSAGES = 1_000;
const EARLY_EVENTS = 8;

/** Routes RELAY events to the messages they concern and to the inbound handlers. */
export class RelayEvents {
  private readonly tracked = new Map<string, Message>();
  private readonly inboundHandlers: InboundMessageHandler[] = [];
  private readonly seenEvents = new Set<string>();
  /** State events that overtook their `messaging.send` answer (both can arrive in one read). */
  private readonly early = new Map<string, Array<Record<string, unknown>>>();

  /**
   * @param logger where handler errors and unhandled inbound messages are reported
   * @param hooks acks and the session's authorization state
   */
  constructor(
    private readonly logger: RelayLogger,
    private readonly hooks: EventHooks,
  ) {}

  /** Messages sent and not complete yet. */
  get inFlight(): Message[] {
    return [...this.tracked.values()];
  }

  /** Register a handler for inbound messages. */
  onMessage(handler: InboundMessageHandler): void {
    this.inboundHandlers.push(handler);
  }

  /** Follow a sent message: apply the state events that came before its send answer, then the next ones. */
  track(message: Message): void {
    const id = message.messageId;
    if (!id) return;
    this.tracked.set(id, message);
    const early = this.early.get(id);
    this.early.delete(id);
    for (const envelope of early ?? []) this.apply(message, RelayEvent.fromEnvelope<MessagingStateEventData>(envelope));
  }

  /** Apply a state event to a followed message; stop following it once it is complete. */
  apply(message: Message, event: RelayEvent<MessagingStateEventData>): void {
    message._apply(event);
    if (message.isDone) this.tracked.delete(message.messageId);
  }

  /** Stop following every message, failing its waits with `reason`. */
  abandonAll(reason: string): void {
    for (const m of this.tracked.values()) m._abandon(reason);
    this.tracked.clear();
  }

  /** A `signalwire.event` request: ack it, and dispatch it unless it was seen already. */
  handle(id: unknown, envelope: Record<string, unknown>): void {
    if (id !== undefined) this.hooks.ack(id);
    if ((typeof id === 'string' || typeof id === 'number') && this.isRepeat(String(id))) return;
    const type = envelope.event_type;
    const inner = (envelope.params ?? {}) as Record<string, unknown>;
    if (type === EVENT_AUTHORIZATION_STATE) {
      if (typeof inner.authorization_state === 'string') this.hooks.onAuthorizationState(inner.authorization_state);
    } else if (type === EVENT_MESSAGING_STATE) {
      const messageId = String(inner.message_id ?? '');
      const message = this.tracked.get(messageId);
      if (message) this.apply(message, RelayEvent.fromEnvelope<MessagingStateEventData>(envelope));
      else this.keepEarly(messageId, envelope);
    } else if (type === EVENT_MESSAGING_RECEIVE) {
      this.deliver(inner as unknown as MessagingReceiveEventData);
    }
  }

  private deliver(d: MessagingReceiveEventData): void {
    const message = new Message({
      messageId: d.message_id ?? '',
      context: d.context ?? '',
      direction: 'inbound',
      fromNumber: d.from_number ?? '',
      toNumber: d.to_number ?? '',
      body: d.body ?? '',
      media: d.media ?? [],
      segments: d.segments ?? 0,
      state: 'received',
      tags: d.tags ?? [],
    });
    if (this.inboundHandlers.length === 0) this.logger.warn?.(`inbound message ${message.messageId} on ${message.context} but no onMessage handler`);
    for (const h of this.inboundHandlers) {
      try {
        const r = h(message);
        if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (err: unknown) => this.logger.error?.('onMessage handler failed', err));
      } catch (err) {
        this.logger.error?.('onMessage handler failed', err);
      }
    }
  }

  /** Replays after a resume reuse event ids: remember recent ones. */
  private isRepeat(id: string): boolean {
    if (this.seenEvents.has(id)) return true;
    this.seenEvents.add(id);
    if (this.seenEvents.size > SEEN_EVENTS) {
      const oldest = this.seenEvents.values().next().value;
      if (oldest !== undefined) this.seenEvents.delete(oldest);
    }
    return false;
  }

  private keepEarly(id: string, envelope: Record<string, unknown>): void {
    if (!id) return;
    const list = this.early.get(id);
    if (list) {
      if (list.length < EARLY_EVENTS) list.push(envelope);
      return;
    }
    if (this.early.size >= EARLY_MESSAGES) {
      const oldest = this.early.keys().next().value;
      if (oldest !== undefined) this.early.delete(oldest);
    }
    this.early.set(id, [envelope]);
  }
}
