/**
 * Keeps an outbound message's `queued` event ahead of its later ones when several nodes publish them.
 *
 * NATS keeps one publisher's messages in order, but a message's `queued` is published by the node
 * that accepted it and its `initiated` (or an early `failed`) by whichever node claimed its job. The
 * claim can commit before the accepting node's batch of events is on the wire, and a node that
 * dispatches a message hears its own `initiated` at once but the other node's `queued` only
 * through NATS. So a later event of a young outbound message whose `queued` has not been seen here
 * waits for it; once the message is `holdMs` old its events pass without waiting, and anything
 * still held is released in arrival order (a `queued` lost while NATS was away must not hold
 * the rest for ever). Events of other messages, and all inbound events, are never delayed.
 *
 * One interval timer sweeps, and only while something is tracked; no timer per message.
 */
import type { MessageStatusEvent } from '../domain/ports/bus.js';

export interface StatusOrderOptions {
  /** How long after a message's creation its later events may wait for its `queued`. */
  readonly holdMs: number;
  /** Milliseconds since the epoch, on the clock message `createdAt` values come from. */
  readonly now?: () => number;
}

export class StatusOrder {
  /** Messages younger than `holdMs` whose `queued` was delivered here → their `createdAt`. */
  private readonly queuedSeen = new Map<string, number>();
  /** Messages younger than `holdMs` with events waiting for their `queued`. */
  private readonly held = new Map<string, { createdAt: number; events: MessageStatusEvent[] }>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly deliver: (event: MessageStatusEvent) => void,
    private readonly opts: StatusOrderOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Deliver `event` now, or once its message's `queued` has been delivered. */
  accept(event: MessageStatusEvent): void {
    const m = event.message;
    if (m.direction !== 'outbound') return this.deliver(event);
    const young = this.now() - m.createdAt < this.opts.holdMs;
    if (event.status === 'queued') {
      this.deliver(event);
      const waiting = this.held.get(m.id);
      if (waiting) {
        this.held.delete(m.id);
        for (const e of waiting.events) this.deliver(e);
      }
      if (young) {
        this.queuedSeen.set(m.id, m.createdAt);
        this.startTimer();
      }
      return;
    }
    const waiting = this.held.get(m.id);
    if (waiting) {
      // Behind the events already waiting, whatever its age now.
      waiting.events.push(event);
      return;
    }
    if (!young || this.queuedSeen.has(m.id)) return this.deliver(event);
    this.held.set(m.id, { createdAt: m.createdAt, events: [event] });
    this.startTimer();
  }

  /** Messages whose later events are waiting (for metrics and tests). */
  get waiting(): number {
    return this.held.size;
  }

  /** Release what has waited long enough and forget messages past `holdMs`; run by the timer. */
  sweep(): void {
    const cutoff = this.now() - this.opts.holdMs;
    for (const [id, waiting] of this.held) {
      if (waiting.createdAt > cutoff) continue;
      this.held.delete(id);
      for (const e of waiting.events) this.deliver(e);
    }
    // Entries arrive roughly in creation order: stop at the first young one.
    for (const [id, createdAt] of this.queuedSeen) {
      if (createdAt > cutoff) break;
      this.queuedSeen.delete(id);
    }
    if (this.held.size === 0 && this.queuedSeen.size === 0) this.stopTimer();
  }

  /** Deliver everything still waiting, in arrival order, and stop the timer. */
  close(): void {
    for (const waiting of this.held.values()) for (const e of waiting.events) this.deliver(e);
    this.held.clear();
    this.queuedSeen.clear();
    this.stopTimer();
  }

  private startTimer(): void {
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), Math.max(10, Math.floor(this.opts.holdMs / 4)));
      this.timer.unref();
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
