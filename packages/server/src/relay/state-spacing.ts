/**
 * Spacing between a `messaging.send` answer and that message's first state events, per session.
 *
 * SignalWire's Python SDK (and its TypeScript port) create the message object that `wait()`
 * watches only once the answer's future has resumed the sending coroutine, a few turns of the
 * client's event loop after the answer was read; state events read before that are dropped as
 * "state event for unknown message". SignalWire's network leaves time between the two; at
 * simulator delay 0 this server would not, and a fixed wait alone is not enough on a busy machine
 * (the client may not run for longer than any short gap). So:
 *
 * - after writing answers, the session writes one `signalwire.ping` (one for every burst of
 *   answers, not one per message). A client reads frames in order, so its pong proves it has read
 *   those answers and gone back to its event loop, where the sending coroutines resume first;
 * - the state events of a message whose answer is pending, or not yet followed by that pong and
 *   `gapMs`, are held and then written together, by one timer per session, in a later socket write.
 *
 * A message's events keep their order; events of messages this session did not send are not held.
 * A client that does not answer the ping within `PONG_WAIT_MS` gets its events anyway. The spacing
 * is network time: it runs on the wall clock whatever clock the engine is given.
 */
import { randomUUID } from 'node:crypto';
import { RELAY_CONSTANTS } from './limits.js';

/** How long held events wait for the pong before they go out anyway (ms). */
export const PONG_WAIT_MS = 1_000;

interface Expected {
  /** When the send was accepted (wall clock, ms). */
  readonly since: number;
  /** When its answer was written, or null while it is pending. */
  answeredAt: number | null;
  /** When the client answered the ping written after the answer, or null. */
  clearedAt: number | null;
}

interface HeldEvent<E> {
  readonly messageId: string;
  readonly event: E;
}

export interface SpacingLink<E> {
  /** Write a `signalwire.ping` with this id. */
  ping(id: string): void;
  /** Write events whose time has come, in the order they came. */
  write(events: E[]): void;
}

export class StateEventSpacing<E> {
  /** Sends whose events may still have to wait, oldest first. */
  private readonly expected = new Map<string, Expected>();
  private held: Array<HeldEvent<E>> = [];
  /** Messages with events in `held` (their later events queue behind them). */
  private readonly heldIds = new Set<string>();
  /** The ping written after the last answers, until the client answers it. */
  private barrier: { readonly id: string; readonly sentAt: number; readonly covers: string[] } | null = null;
  /** Answers written while a ping was out: covered by the next one. */
  private uncovered: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /**
   * @param gapMs least time between an answer and its message's first events (0: no spacing at all)
   */
  constructor(
    private readonly gapMs: number,
    private readonly link: SpacingLink<E>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Events held now. */
  get heldCount(): number {
    return this.held.length;
  }

  /** A send of `messageId` was accepted; its answer is about to be written. */
  expect(messageId: string): void {
    if (this.gapMs <= 0) return;
    this.expected.set(messageId, { since: this.now(), answeredAt: null, clearedAt: null });
  }

  /** The answer of `messageId` was written. */
  answered(messageId: string): void {
    const e = this.expected.get(messageId);
    if (!e) return;
    const now = this.now();
    // Re-inserted so the map stays in answer order (pruning reads it from the front).
    this.expected.delete(messageId);
    e.answeredAt = now;
    this.expected.set(messageId, e);
    this.prune(now);
    if (this.barrier && now - this.barrier.sentAt < PONG_WAIT_MS) {
      this.uncovered.push(messageId);
    } else {
      this.sendBarrier([...this.uncovered, messageId], now);
      this.uncovered = [];
    }
    if (this.heldIds.has(messageId)) this.arm(now + PONG_WAIT_MS);
  }

  /** A client's answer: true when it was our ping (then held events may go). */
  pong(id: string): boolean {
    const b = this.barrier;
    if (!b || b.id !== id) return false;
    const now = this.now();
    for (const m of b.covers) {
      const e = this.expected.get(m);
      if (e) e.clearedAt = now;
    }
    this.barrier = null;
    if (this.uncovered.length) {
      this.sendBarrier(this.uncovered, now);
      this.uncovered = [];
    }
    if (this.held.length) this.arm(now);
    return true;
  }

  /** True when the event was taken to be written later; false: write it now. */
  hold(messageId: string, event: E): boolean {
    if (this.gapMs <= 0) return false;
    const queued = this.heldIds.has(messageId);
    const due = this.dueOf(messageId, this.now());
    if (!queued && due === null) return false;
    this.held.push({ messageId, event });
    this.heldIds.add(messageId);
    if (due !== null) this.arm(due);
    return true;
  }

  /** The session leaves its connection: drop what is held (acknowledged sessions replay it). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.held = [];
    this.heldIds.clear();
    this.expected.clear();
    this.barrier = null;
    this.uncovered = [];
  }

  private sendBarrier(covers: string[], now: number): void {
    const id = randomUUID();
    this.barrier = { id, sentAt: now, covers };
    this.link.ping(id);
  }

  /** When a message's events may go out: null now; else the time to look again. */
  private dueOf(messageId: string, now: number): number | null {
    const e = this.expected.get(messageId);
    if (!e) return null;
    let due: number;
    if (e.answeredAt === null) {
      // An answer that never came (the request timed out): do not hold its events for ever.
      due = e.since + RELAY_CONSTANTS.requestTimeoutMs;
    } else if (e.clearedAt === null) {
      // No pong yet: wait for it, though not for ever.
      due = e.answeredAt + PONG_WAIT_MS;
    } else {
      due = Math.max(e.clearedAt, e.answeredAt + this.gapMs);
    }
    if (due > now) return due;
    this.expected.delete(messageId);
    return null;
  }

  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.flush(), Math.max(0, Math.ceil(at - this.now())));
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    const ready: E[] = [];
    const keep: Array<HeldEvent<E>> = [];
    const waiting = new Set<string>();
    let next = Infinity;
    for (const h of this.held) {
      if (!waiting.has(h.messageId)) {
        const due = this.dueOf(h.messageId, now);
        if (due === null) {
          ready.push(h.event);
          continue;
        }
        waiting.add(h.messageId);
        next = Math.min(next, due);
      }
      keep.push(h);
    }
    this.held = keep;
    this.heldIds.clear();
    for (const id of waiting) this.heldIds.add(id);
    if (Number.isFinite(next)) this.arm(next);
    if (ready.length) this.link.write(ready);
  }

  /** Forget sends that no longer hold anything back (their events went, or none came). */
  private prune(now: number): void {
    for (const [id, e] of this.expected) {
      if (this.heldIds.has(id)) break;
      if (e.answeredAt === null ? now - e.since < RELAY_CONSTANTS.requestTimeoutMs : e.clearedAt === null ? now - e.answeredAt < PONG_WAIT_MS : now < e.answeredAt + this.gapMs) break;
      this.expected.delete(id);
    }
  }
}
