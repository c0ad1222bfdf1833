/**
 * An SMS or MMS message seen through RELAY. Outbound messages move `queued → initiated → sent →
 * delivered | undelivered | failed` as `messaging.state` events arrive; inbound ones arrive
 * complete in state `received`.
 */
import { MESSAGE_TERMINAL_STATES, type MessagingMessageState, type MessagingStateEventData } from '@switchboard/protocol';
import { RelayError, RelayTimeoutError } from './relay-error.js';
import type { RelayEvent } from './relay-event.js';

/** A state-change listener: the event, and the message already updated by it. */
export type MessageEventHandler = (event: RelayEvent<MessagingStateEventData>, message: Message) => unknown;

/** Called once when a message reaches a terminal state, with the terminal event. */
export type CompletedHandler = (event: RelayEvent<MessagingStateEventData>) => unknown;

/** Fields a `Message` is built from. */
export interface MessageInit {
  messageId: string;
  context?: string;
  direction?: 'inbound' | 'outbound';
  fromNumber?: string;
  toNumber?: string;
  body?: string;
  media?: readonly string[];
  segments?: number;
  state?: MessagingMessageState;
  reason?: string;
  tags?: readonly string[];
}

const RANK: Record<string, number> = { queued: 0, initiated: 1, sent: 2, delivered: 3, undelivered: 3, failed: 3, received: 3 };

/** True for `delivered`, `undelivered` and `failed`. */
export function isTerminalState(state: string): boolean {
  return (MESSAGE_TERMINAL_STATES as readonly string[]).includes(state);
}

/** An SMS/MMS message and its delivery state. */
export class Message {
  /** Id assigned by the server. */
  readonly messageId: string;
  /** The context the message's events are addressed to. */
  readonly context: string;
  /** `inbound` or `outbound`. */
  readonly direction: 'inbound' | 'outbound';
  /** Sender, E.164. */
  readonly fromNumber: string;
  /** Recipient, E.164. */
  readonly toNumber: string;
  /** Text (empty for media-only messages). */
  readonly body: string;
  /** Media URLs; empty for SMS. */
  readonly media: readonly string[];
  /** SMS segments the body needs. */
  segments: number;
  /** Current state. */
  state: MessagingMessageState;
  /** Failure reason (`undelivered`/`failed`), else `''`. */
  reason: string;
  /** Tags given at send time. */
  readonly tags: readonly string[];

  private readonly listeners: MessageEventHandler[] = [];
  private readonly waiters: Array<{ resolve: (e: RelayEvent<MessagingStateEventData>) => void; reject: (err: unknown) => void }> = [];
  private final: RelayEvent<MessagingStateEventData> | null = null;
  private completed: CompletedHandler | undefined;
  private readonly report: (err: unknown, what: string) => void;

  /**
   * @param init the message's fields
   * @param options `onCompleted`, and where handler errors are reported
   */
  constructor(init: MessageInit, options: { onCompleted?: CompletedHandler; onHandlerError?: (err: unknown, what: string) => void } = {}) {
    this.messageId = init.messageId;
    this.context = init.context ?? '';
    this.direction = init.direction ?? 'outbound';
    this.fromNumber = init.fromNumber ?? '';
    this.toNumber = init.toNumber ?? '';
    this.body = init.body ?? '';
    this.media = [...(init.media ?? [])];
    this.segments = init.segments ?? 0;
    this.state = init.state ?? (this.direction === 'inbound' ? 'received' : 'queued');
    this.reason = init.reason ?? '';
    this.tags = [...(init.tags ?? [])];
    this.completed = options.onCompleted;
    this.report = options.onHandlerError ?? (() => {});
  }

  /** True once the message reached `delivered`, `undelivered` or `failed` (inbound messages are done on arrival). */
  get isDone(): boolean {
    return this.direction === 'inbound' || isTerminalState(this.state);
  }

  /** The terminal event, or null while the message is in flight. */
  get result(): RelayEvent<MessagingStateEventData> | null {
    return this.final;
  }

  /**
   * Listen to this message's state changes.
   * @param handler called with each `messaging.state` event, after the message is updated
   * @returns a function that removes the listener
   */
  on(handler: MessageEventHandler): () => void {
    this.listeners.push(handler);
    return () => {
      const i = this.listeners.indexOf(handler);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Wait for a terminal state.
   * @param timeoutSeconds give up after this many seconds (none: wait as long as it takes)
   * @returns the terminal `messaging.state` event
   * @throws {RelayTimeoutError} when the timeout passes first
   */
  wait(timeoutSeconds?: number): Promise<RelayEvent<MessagingStateEventData>> {
    if (this.final) return Promise.resolve(this.final);
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = {
        resolve: (e: RelayEvent<MessagingStateEventData>) => {
          if (timer) clearTimeout(timer);
          resolve(e);
        },
        reject: (err: unknown) => {
          if (timer) clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.push(waiter);
      if (timeoutSeconds !== undefined && timeoutSeconds !== null) {
        timer = setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new RelayTimeoutError(`Message ${this.messageId} did not complete within ${timeoutSeconds} s (state ${this.state}).`));
        }, Math.max(0, timeoutSeconds * 1000));
      }
    });
  }

  /** @internal Apply a state event; returns false when it is stale or a repeat (states only move forward). */
  _apply(event: RelayEvent<MessagingStateEventData>): boolean {
    const next = event.params.message_state;
    if (!next || this.final) return false;
    if ((RANK[next] ?? -1) <= (RANK[this.state] ?? -1) && !(next === 'queued' && this.listenersSawNothing())) return false;
    this.state = next;
    if (typeof event.params.reason === 'string') this.reason = event.params.reason;
    if (typeof event.params.segments === 'number') this.segments = event.params.segments;
    this.seen = true;
    for (const handler of [...this.listeners]) this.call(() => handler(event, this), 'message state handler');
    if (isTerminalState(next)) {
      this.final = event;
      for (const w of this.waiters.splice(0)) w.resolve(event);
      const completed = this.completed;
      this.completed = undefined;
      if (completed) this.call(() => completed(event), 'onCompleted handler');
    }
    return true;
  }

  /** @internal Fail every pending `wait()` (the client was disconnected for good). */
  _abandon(reason: string): void {
    for (const w of this.waiters.splice(0)) w.reject(new RelayError(-1, reason));
  }

  private seen = false;

  /** The `queued` event repeats the state the message starts in; it is still worth telling listeners once. */
  private listenersSawNothing(): boolean {
    return !this.seen && this.state === 'queued';
  }

  private call(fn: () => unknown, what: string): void {
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (err: unknown) => this.report(err, what));
    } catch (err) {
      this.report(err, what);
    }
  }

  /** `Message(id=…, direction=…, state=…, from=…, to=…)`. */
  toString(): string {
    return `Message(id=${this.messageId}, direction=${this.direction}, state=${this.state}, from=${this.fromNumber}, to=${this.toNumber})`;
  }
}
