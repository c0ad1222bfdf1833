/**
 * A RELAY session: who it acts for, the contexts it listens to, and the events its client has not
 * acknowledged yet. A session outlives its connection: when the connection drops it is parked in
 * the resume store (with those events) and can be taken up again by a reconnect.
 */
import { randomUUID } from 'node:crypto';
import type { TokenScope } from '../domain/credentials.js';
import type { RelayMetrics } from '../domain/ports/metrics.js';
import type { BufferedRelayEvent } from '../domain/ports/relay-resume.js';
import { eventCost, eventsCost, type BufferBudget } from './buffer-budget.js';
import { METHOD_PING } from '@switchboard/protocol';
import { eventFrame, requestFrame } from './frames.js';
import { StateEventSpacing } from './state-spacing.js';
import { laterKeysOf, messageOfKey } from '../domain/relay-event-keys.js';
import type { DeliveryPacer, PacedSession } from './delivery-pacer.js';

/** The connection a session writes to (it caps the bytes queued on its socket, events included). */
export interface SessionLink {
  send(frame: string): void;
  /** The reader is too slow: close the connection (the session is parked if it lost nothing). */
  slow(reason: string): void;
  close(code: number, reason: string): void;
}

/** An event waiting for the connect result to go out first. */
interface Held {
  readonly key: string;
  readonly at: number;
  readonly params: string;
  readonly type: string;
}

/** An event written later, by the state-event spacing. */
interface Spaced {
  readonly id: string;
  readonly key: string;
  readonly params: string;
  readonly type: string;
  readonly at: number;
}

export class RelaySession implements PacedSession {
  readonly contexts = new Set<string>();
  /** Sent (or waiting for the pacer), not yet acknowledged, in send order. */
  private readonly unacked = new Map<string, BufferedRelayEvent & { type: string }>();
  /**
   * Events kept in `unacked` (with their budget, whether the client acks or not) and not written
   * yet: the project's writes of this turn were spent (delivery-pacer.ts). Written in order on the
   * pacer's next turns; they leave with the session when it parks.
   */
  private pending: { readonly id: string; readonly messageId: string | undefined }[] = [];
  private link: SessionLink | null = null;
  private held: Held[] | null = [];
  /** An event could not be kept: a resume would miss it, so this session must not be parked. */
  lost = false;
  /**
   * Being handed over (the node stops): events are kept, not written, until the connection closes
   * and they park with the session, so the client gets each once, from wherever it resumes.
   */
  quiet = false;
  /** When the current connection took the session (ms), or null while it has none. */
  connectedAt: number | null = null;
  /** Event frames written to clients over the session's life (replays included). */
  eventsSent = 0;
  /** Holds a sent message's first state events until its answer has had time to be read. */
  private readonly spacing: StateEventSpacing<Spaced>;
  /**
   * A session that came back (adopted again, resumed, restored from a checkpoint): the keys of the
   * events it got until `trackKeys`' end, so an event it had (replayed, caught up, or live) is not
   * written again, nor one after a later state of its message (a publish that reaches this node
   * after the catch-up read its commit). Null for any other session, and once that time is over.
   */
  private keysUntil = 0;
  private keys: Set<string> | null = null;
  /**
   * Adopted again without a known position (after a crash, no checkpoint): a replay gives each
   * message's last state only, and contexts it subscribes to later get the start's events and a catch-up.
   */
  adopted = false;
  /** Keys the client had (acknowledged, or written when it does not ack) and when they happened, for its checkpoint (checkpoints.ts); null when none are kept. */
  private had: Map<string, number> | null = null;
  /** Its acknowledgements changed since its last checkpoint. */
  checkpointDirty = true;
  /** Adopted again: where its catch-up from the stored events starts (message time; catch-up.ts), for contexts it subscribes to later. */
  catchUpSince: number | null = null;

  constructor(
    readonly protocol: string,
    readonly signature: string,
    readonly sessionId: string,
    readonly projectId: string,
    /** What the connection holding the session may do: its token's scopes (replaced when another connection takes it). */
    public scopes: ReadonlySet<TokenScope>,
    /** The client acks events (else nothing is kept once written). */
    public eventAcks: boolean,
    public versionMajor: number,
    private readonly opts: {
      readonly maxEvents: number;
      readonly budget: BufferBudget;
      readonly metrics: RelayMetrics;
      readonly now: () => number;
      /** Least time (ms) between a `messaging.send` answer and that message's first state events. */
      readonly stateEventGapMs?: number;
      /** Spreads the project's event writes over turns of the event loop; none: written at once. */
      readonly pacer?: DeliveryPacer;
      /** The project's share is spent: take `bytes` for this session by shedding sessions holding more, parked ones too (budget-relief.ts); false if none does. */
      readonly relieve?: (session: RelaySession, bytes: number) => boolean;
    },
  ) {
    this.spacing = new StateEventSpacing<Spaced>(opts.stateEventGapMs ?? 0, {
      ping: (id) => this.link?.send(requestFrame(id, METHOD_PING, { timestamp: Date.now() / 1000 })),
      write: (events) => {
        for (const e of events) {
          // Only if still on the connection it was meant for (a move replays the unacknowledged ones).
          if (!this.link || this.lost || this.quiet || (this.eventAcks && !this.unacked.has(e.id))) continue;
          this.write(e.id, e.key, e.params, e.type, e.at);
        }
      },
    });
  }

  /** Keep the keys of the events this session gets (and those in `had`) until `until` (ms, the node's clock). */
  trackKeys(until: number, had: Iterable<string> = []): void {
    const kept = this.trackedKeys;
    this.keys = new Set([...(kept ?? []), ...had]);
    this.keysUntil = kept ? Math.max(this.keysUntil, until) : until;
  }

  /** The keys kept by `trackKeys`, or null (never asked, or its time is over: then let go). */
  get trackedKeys(): Set<string> | null {
    if (this.keys && this.opts.now() > this.keysUntil) this.keys = null;
    return this.keys;
  }

  /** Keep what the client has had, for its checkpoints; `had`: what an earlier one said it had. */
  keepHad(had: readonly string[] = [], at = 0): void {
    this.had ??= new Map();
    for (const k of had) this.had.set(k, at);
  }

  /**
   * Where the session stands now (`now` in message time): every event before `since` the client
   * had, and of those since, the keys it had. `since` is `margin` back (publishes on their way then)
   * or at its oldest unacknowledged event, not before `floor`; older keys are let go.
   */
  position(now: number, margin: number, floor: number): { since: number; had: string[] } {
    let since = now - margin;
    for (const e of this.unacked.values()) if (e.at < since) since = e.at;
    since = Math.max(since, floor);
    const had: string[] = [];
    for (const [key, at] of this.had ?? []) {
      if (at < since) this.had!.delete(key);
      else had.push(key);
    }
    return { since, had };
  }

  private noteHad(key: string, at: number): void {
    if (!this.had) return;
    this.had.set(key, at);
    this.checkpointDirty = true;
  }

  /** A `messaging.send` of this session was accepted: space its state events from the answer. */
  expectAnswer(messageId: string): void {
    this.spacing.expect(messageId);
  }

  /** The answer of that send was written. */
  answered(messageId: string): void {
    this.spacing.answered(messageId);
  }

  /**
   * Whether the token acting for the session may receive messaging events: one without the
   * `messaging` scope that resumed a session subscribed to contexts gets none of them.
   */
  private get receives(): boolean {
    return this.scopes.has('messaging');
  }

  /** Events not acknowledged yet. */
  get unackedCount(): number {
    return this.unacked.size;
  }

  /**
   * It cannot keep its events: lost (it will not park), and what it holds of the budget given back
   * now, not when its connection is gone (a client that does not read answers no close frame).
   */
  shed(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    this.opts.budget.give(this.projectId, eventsCost(this.unacked.values()));
    this.unacked.clear();
    this.pending = [];
    this.spacing.clear();
    this.opts.metrics.relayLimited('slow_consumer');
    this.link?.slow(reason);
  }

  /** Bind to a connection; events are held until `open()` (after the connect result is written). */
  attach(link: SessionLink): void {
    this.link = link;
    this.connectedAt = this.opts.now();
  }

  /**
   * Move to another connection (a client resuming while its old connection looks alive): returns
   * the unacknowledged events to replay. The session then acts for the new connection's client:
   * its token's scopes, its `event_acks` and version, as a session resumed from the store would.
   */
  reattach(link: SessionLink, client: { readonly scopes: ReadonlySet<TokenScope>; readonly eventAcks: boolean; readonly versionMajor: number }): { events: BufferedRelayEvent[]; previous: SessionLink | null } {
    const previous = this.link;
    const events = this.detach();
    this.scopes = client.scopes;
    this.eventAcks = client.eventAcks;
    this.versionMajor = client.versionMajor;
    this.link = link;
    this.connectedAt = this.opts.now();
    this.held = [];
    return { events, previous };
  }

  /** True while this connection is the session's. */
  isLinkedTo(link: SessionLink): boolean {
    return this.link === link;
  }

  /** Unbind; returns the unacknowledged events in order (their budget moves with them). */
  detach(): BufferedRelayEvent[] {
    this.link = null;
    this.spacing.clear();
    this.connectedAt = null;
    this.pending = [];
    const events = [...this.unacked.values()].map(({ id, key, at, params }) => ({ id, key, at, params }));
    this.unacked.clear();
    return events;
  }

  /** Give back the budget of everything held (the session ends). */
  release(events: readonly BufferedRelayEvent[]): void {
    this.opts.budget.give(this.projectId, eventsCost(events));
  }

  /**
   * Start writing: first the restored events (budget already held, same ids), then what arrived
   * meanwhile, minus what the restored ones already cover.
   */
  open(restored: readonly BufferedRelayEvent[] = []): void {
    const held = this.held ?? [];
    this.held = null;
    const seen = this.replay(restored);
    for (const h of held) if (!seen.has(h.key) && !this.hadLater(h.key)) this.send(h.key, h.at, h.params, h.type);
  }

  /**
   * Write events kept for this session (budget already held, ids kept) before anything newer;
   * returns their keys.
   */
  replay(restored: readonly BufferedRelayEvent[]): Set<string> {
    const seen = new Set<string>();
    // Adopted again: nothing of a message the session had a state of before this replay (live, or by an
    // earlier replay): its states come live, in order (one held during the connect goes out after the
    // replay). Of the others, their last state here only: what it missed, not their history again.
    const had = this.adopted && this.trackedKeys && restored.length > 0 ? new Set([...this.trackedKeys].map(messageOfKey)) : null;
    const last = new Map<string, number>();
    if (had) restored.forEach((e, i) => last.set(messageOfKey(e.key), i));
    for (const [i, e] of restored.entries()) {
      if (had && (had.has(messageOfKey(e.key)) || last.get(messageOfKey(e.key)) !== i)) {
        this.opts.budget.give(this.projectId, eventCost(e.params));
        continue;
      }
      seen.add(e.key);
      this.keys?.add(e.key);
      if (!this.link) continue;
      if (!this.receives) {
        // Resumed by a token that may not receive: what the session collected is not for it.
        this.opts.budget.give(this.projectId, eventCost(e.params));
        continue;
      }
      const type = eventTypeOf(e.params);
      const now = this.mayWrite();
      if (this.eventAcks || !now) this.unacked.set(e.id, { ...e, type });
      else this.opts.budget.give(this.projectId, eventCost(e.params));
      if (now) this.write(e.id, e.key, e.params, type, e.at);
      else this.queue(e.id, undefined);
    }
    return seen;
  }

  /**
   * Write an event to the client (or hold it until the session is open). `messageId`: the message
   * a state event is about, so it keeps its distance from that message's `messaging.send` answer.
   */
  deliver(key: string, at: number, params: string, type: string, messageId?: string): void {
    // Kept only while the start's window lasts (checked once per event: no timer per session). An
    // event replayed from the start or the stored events may come live too: written once, never
    // after a later state of its message.
    const keys = this.keys ? this.trackedKeys : null;
    if (keys) {
      if (keys.has(key) || this.hadLater(key)) return;
      keys.add(key);
    }
    if (this.held) {
      this.held.push({ key, at, params, type });
      return;
    }
    this.send(key, at, params, type, messageId);
  }

  /** Came back: whether the session had a later state of the message of `key` (`<message id>:<state>`). */
  private hadLater(key: string): boolean {
    const keys = this.trackedKeys;
    if (!keys) return false;
    return laterKeysOf(key).some((k) => keys.has(k));
  }

  private send(key: string, at: number, params: string, type: string, messageId?: string): void {
    if (!this.link || this.lost || !this.receives) return;
    const id = randomUUID();
    // Not written now: the project's writes of this turn are spent, or earlier events still wait.
    const now = this.quiet || this.mayWrite();
    if (this.eventAcks || this.quiet || !now) {
      const cost = eventCost(params);
      if (this.writtenUnacked >= this.opts.maxEvents || !(this.opts.budget.take(this.projectId, cost) || this.opts.relieve?.(this, cost))) {
        this.shed('too many unacknowledged events');
        return;
      }
      this.unacked.set(id, { id, key, at, params, type });
      if (this.quiet) return;
    }
    if (!now) this.queue(id, messageId);
    else if (messageId === undefined || !this.spacing.hold(messageId, { id, key, params, type, at })) this.write(id, key, params, type, at);
    if (this.link && this.writtenUnacked >= this.opts.maxEvents) {
      this.opts.metrics.relayLimited('slow_consumer');
      this.link.slow('the client acknowledges events too slowly');
    }
  }

  /**
   * Events written to the client and not acknowledged: what `maxEvents` bounds (the client's pace).
   * Those waiting for the pacer are the node's: bounded by the buffer budget, as parked ones are.
   */
  private get writtenUnacked(): number {
    return this.unacked.size - this.pending.length;
  }

  /** Whether an event may be written now: none waits, and the pacer allows one more of the project's. */
  private mayWrite(): boolean {
    return this.pending.length === 0 && (this.opts.pacer?.take(this.projectId) ?? true);
  }

  /** Keep an event (already in `unacked`) for the pacer's next turns. */
  private queue(id: string, messageId: string | undefined): void {
    this.pending.push({ id, messageId });
    this.opts.pacer!.wait(this);
  }

  /** The pacer's turn: write waiting events while it allows; true once none wait. */
  drain(): boolean {
    const queue = this.pending;
    const before = this.writtenUnacked;
    let n = 0;
    // No connection to write to (the session parks or ends with them), or being handed over: they stay kept.
    while (n < queue.length && this.link && !this.lost && !this.quiet && this.pending === queue) {
      if (!this.opts.pacer!.take(this.projectId)) break;
      const { id, messageId } = queue[n++]!;
      const e = this.unacked.get(id);
      if (!e) continue;
      if (!this.eventAcks) {
        this.unacked.delete(id);
        this.opts.budget.give(this.projectId, eventCost(e.params));
      }
      if (messageId === undefined || !this.spacing.hold(messageId, e)) this.write(id, e.key, e.params, e.type, e.at);
    }
    // Detached while writing (and maybe taken up again): what waits now is another queue.
    if (this.pending !== queue) return this.drain();
    if (!this.link || this.lost || this.quiet) n = queue.length;
    queue.splice(0, n);
    // Written now, they count against `maxEvents` as those written at once do: a client that did
    // not read while its events waited for the pacer got them all and was never closed.
    if (this.link && !this.lost && !this.quiet && before < this.opts.maxEvents && this.writtenUnacked >= this.opts.maxEvents) {
      this.opts.metrics.relayLimited('slow_consumer');
      this.link.slow('the client acknowledges events too slowly');
    }
    return queue.length === 0;
  }

  /** The client acknowledged an event; false when the id is not one of ours. */
  ack(id: string): boolean {
    if (this.spacing.pong(id)) return true;
    const e = this.unacked.get(id);
    if (!e) return false;
    this.unacked.delete(id);
    this.noteHad(e.key, e.at);
    this.opts.budget.give(this.projectId, eventCost(e.params));
    this.opts.metrics.relayEventsAcked(1);
    return true;
  }

  private write(id: string, key: string, params: string, type: string, at: number): void {
    this.link!.send(eventFrame(id, params));
    if (!this.eventAcks) this.noteHad(key, at);
    this.eventsSent++;
    this.opts.metrics.relayEventsSent(type, 1);
    this.opts.metrics.relayEventLatency(Math.max(0, this.opts.now() - at) / 1000);
  }
}

/** The event type inside serialized params (they always start with it). */
export function eventTypeOf(params: string): string {
  const m = /^\{"event_type":"([^"]+)"/.exec(params);
  return m ? m[1]! : 'unknown';
}
