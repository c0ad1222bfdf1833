/**
 * The event bus port: typed publish/subscribe between the engine and its subscribers (RELAY
 * sessions, webhooks, console feed, metrics). In-process by default, NATS in scale-out mode.
 * Other modules add topics by augmenting `BusTopics`.
 */
import type { MessageStatus } from '@switchboard/protocol';
import type { MessageEventRecord, MessageRecord } from '../message.js';
import type { HandsetMessageRecord } from './store.js';

/** A message changed state (including being accepted as `queued` and arriving as `received`). */
export interface MessageStatusEvent {
  readonly projectId: string;
  readonly message: MessageRecord;
  readonly status: MessageStatus;
  readonly at: number;
  readonly event: Omit<MessageEventRecord, 'id'>;
}

/** Topics and their payloads. */
export interface BusTopics {
  'message.status': MessageStatusEvent;
  'handset.received': HandsetMessageRecord;
  'numbers.changed': { readonly projectId: string };
  'credentials.changed': { readonly projectId: string };
  /** Wake-ups: work was written that a runner should pick up. */
  'work.available': { readonly queue: 'dispatch' | 'webhooks' };
}

/** Topic name. */
export type BusTopic = keyof BusTopics;

/** Removes a subscription. */
export type Unsubscribe = () => void;

export interface Bus {
  publish<T extends BusTopic>(topic: T, event: BusTopics[T]): void;
  subscribe<T extends BusTopic>(topic: T, handler: (event: BusTopics[T]) => void): Unsubscribe;
  /**
   * Run `handler` when events from other nodes may have been missed (NATS reconnected after an
   * outage): work loops look for work, and caches kept fresh by the bus drop what they hold, since
   * the change that would have invalidated it may be among the lost. `awayMs`: how long events
   * may have been lost for, from when the connection went silent (a silent link is noticed late).
   * Never, in process.
   */
  onMissed(handler: (awayMs: number) => void): Unsubscribe;
  close(): Promise<void>;
}
