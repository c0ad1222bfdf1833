/**
 * Turns committed message changes (bus `message.status`) into RELAY events:
 * - outbound changes become `messaging.state` for the session that sent the message, every
 *   session subscribed to the message's context, and the session whose `protocol` equals that
 *   context (the Python SDK's default context);
 * - inbound `received` messages with a context (their number's message handler is a RELAY
 *   context or topic) become `messaging.receive` for every session of that project subscribed to it.
 * Live sessions get them at once; parked ones through the resume store. Work is batched per turn
 * of the event loop, and each event is serialized once whatever its fan-out.
 */
import type { Bus, MessageStatusEvent, Unsubscribe } from '../domain/ports/bus.js';
import type { RelayEventDelivery, RelayResumeStore } from '../domain/ports/relay-resume.js';
import { EVENT_MESSAGING_RECEIVE, EVENT_MESSAGING_STATE, isTerminalStatus } from '@switchboard/protocol';
import { eventKey, laterKeysOf } from '../domain/relay-event-keys.js';
import { contextOf, messagingEventParams } from './event-payloads.js';
import type { RelaySession } from './session.js';
import type { SessionRegistry } from './session-registry.js';
import type { StartupEvent, StartupEvents } from './startup-events.js';

declare module '../domain/ports/bus.js' {
  interface BusTopics {
    /** A RELAY session sent a message: every node routes its state events to that session, wherever it resumes. */
    'relay.sender': { readonly projectId: string; readonly messageId: string; readonly protocol: string };
  }
}

/** Senders remembered for messages still in flight (oldest forgotten first beyond this). */
const MAX_TRACKED_SENDERS = 200_000;
/** Keys of the events routed lately, so a replay of stored events sends none twice (oldest forgotten first beyond this). */
const MAX_HEARD_KEYS = 100_000;

export class RelayEventRouter {
  private queue: MessageStatusEvent[] = [];
  private scheduled = false;
  private readonly senders = new Map<string, string>();
  private readonly heard = new Set<string>();
  private readonly unsubscribe: Unsubscribe;
  private readonly unsubscribeSenders: Unsubscribe;

  constructor(
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly resume: RelayResumeStore,
    private readonly onError: (err: unknown) => void,
    /** The events of the node's first minutes, for sessions adopted again after a restart. */
    private readonly startup?: StartupEvents,
  ) {
    this.unsubscribe = bus.subscribe('message.status', (e) => this.enqueue(e));
    this.unsubscribeSenders = bus.subscribe('relay.sender', (e) => this.remember(e.messageId, e.protocol));
  }

  /**
   * Remember which session sent a message, so its state events reach it whatever the context.
   * Every node is told: a session whose connection drops may resume on another node before the
   * message's last state, and that node must know the message is its.
   */
  trackSender(projectId: string, messageId: string, protocol: string): void {
    this.remember(messageId, protocol);
    this.bus.publish('relay.sender', { projectId, messageId, protocol });
  }

  private remember(messageId: string, protocol: string): void {
    if (this.senders.size >= MAX_TRACKED_SENDERS) {
      const oldest = this.senders.keys().next().value;
      if (oldest !== undefined) this.senders.delete(oldest);
    }
    this.senders.set(messageId, protocol);
  }

  /** Whether this node routed the event of `key` (`eventKey`) lately. */
  hasRouted(key: string): boolean {
    return this.heard.has(key);
  }

  /** Route changes read back from storage that the bus never brought (lost-events.ts), as if heard. */
  inject(events: readonly MessageStatusEvent[]): void {
    for (const e of events) this.enqueue(e);
  }

  stop(): void {
    this.unsubscribe();
    this.unsubscribeSenders();
    this.queue = [];
  }

  private enqueue(e: MessageStatusEvent): void {
    if (e.message.context === null && e.message.origin !== 'relay') return;
    this.queue.push(e);
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current turn: a sender's `messaging.send` answer is written before its `queued` event.
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.flush();
      } catch (err) {
        this.onError(err);
      }
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const parked: RelayEventDelivery[] = [];
    const kept: StartupEvent[] | null = this.startup?.open ? [] : null;
    for (const e of batch) {
      const m = e.message;
      const inbound = m.direction === 'inbound';
      // Of an inbound message only its arrival is an event.
      if (inbound && e.status !== 'received') continue;
      const context = contextOf(m);
      const key = eventKey(m.id, e.status);
      // Heard twice (a replay of stored events racing the bus): routed once; and never after a later state.
      if (this.heard.has(key) || laterKeysOf(key).some((k) => this.heard.has(k))) continue;
      this.heard.add(key);
      if (this.heard.size > MAX_HEARD_KEYS) this.heard.delete(this.heard.values().next().value!);
      const params = messagingEventParams(m, e.at);
      const type = inbound ? EVENT_MESSAGING_RECEIVE : EVENT_MESSAGING_STATE;
      const targets = new Set<RelaySession>();
      const subscribers = this.registry.subscribers(m.projectId, context);
      if (subscribers) for (const s of subscribers) targets.add(s);
      const protocols: string[] = [];
      if (!inbound) {
        protocols.push(context);
        // Remembered here, or stored with the message (after a restart, or from before this node started).
        const sender = this.senders.get(m.id) ?? m.relaySender ?? undefined;
        if (sender !== undefined && sender !== context) protocols.push(sender);
        if (isTerminalStatus(e.status)) this.senders.delete(m.id);
        for (const p of protocols) {
          const s = this.registry.get(p);
          if (s && s.projectId === m.projectId) targets.add(s);
        }
      }
      for (const s of targets) s.deliver(key, e.at, params, type, inbound ? undefined : m.id);
      const delivery = { projectId: m.projectId, contexts: [context], protocols, key, at: e.at, params };
      parked.push(delivery);
      kept?.push({ ...delivery, type });
    }
    if (kept?.length) this.startup!.record(kept);
    if (parked.length) this.resume.deliver(parked).catch(this.onError);
  }
}
