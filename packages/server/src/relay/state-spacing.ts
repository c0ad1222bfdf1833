/**
 * Spacing between a `messaging.send` answer and that message's first state events, per session.
 *
 * SignalWire's Python SDK (and its TypeScript port) create the message object that `wait()`
 * watches only after the answer's future has resumed the sending coroutine; state events read from
 * the socket before that are dropped as "state event for unknown message". SignalWire's network
 * leaves time between the two; at simulator delay 0 this server would not. So the events of a
 * message whose answer is pending, or was written less than `gapMs` ago, are held and written
 * together by one timer per session once the gap has passed — in a later socket write than the
 * answer. A message's events keep their order; events of other messages are not held.
 *
 * The gap is network time: it runs on the wall clock whatever clock the engine is given.
 */
import { RELAY_CONSTANTS } from './limits.js';

interface Expected {
  /** When the send was accepted (wall clock, ms). */
  readonly since: number;
  /** When its answer was written, or null while it is pending. */
  answeredAt: number | null;
}

interface HeldEvent<E> {
  readonly messageId: string;
  readonly event: E;
}

export class StateEventSpacing<E> {
  /** Sends whose answer is pending or recent, oldest first. */
  private readonly expected = new Map<string, Expected>();
  private held: Array<HeldEvent<E>> = [];
  /** Messages with events in `held` (their later events queue behind them). */
  private readonly heldIds = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /**
   * @param gapMs least time between an answer and its message's first events (0: no spacing)
   * @param write writes events whose gap has passed, in the order they came
   */
  constructor(
    private readonly gapMs: number,
    private readonly write: (events: E[]) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Events held now. */
  get heldCount(): number {
    return this.held.length;
  }

  /** A send of `messageId` was accepted; its answer is about to be written. */
  expect(messageId: string): void {
    if (this.gapMs <= 0) return;
    this.expected.set(messageId, { since: this.now(), answeredAt: null });
  }

  /** The answer of `messageId` was written. */
  answered(messageId: string): void {
    const e = this.expected.get(messageId);
    if (!e) return;
    const now = this.now();
    // Re-inserted so the map stays in answer order (the pruning below reads it from the front).
    this.expected.delete(messageId);
    e.answeredAt = now;
    this.expected.set(messageId, e);
    this.prune(now);
    if (this.heldIds.has(messageId)) this.arm(now + this.gapMs);
  }

  /** True when the event was taken to be written later; false: write it now. */
  hold(messageId: string, event: E): boolean {
    if (this.gapMs <= 0) return false;
    const queued = this.heldIds.has(messageId);
    const due = this.dueOf(messageId, this.now());
    if (!queued && due === null) return false;
    this.held.push({ messageId, event });
    this.heldIds.add(messageId);
    if (due !== null && Number.isFinite(due)) this.arm(due);
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
  }

  /** When a message's events may go out: null now, Infinity while its answer is pending. */
  private dueOf(messageId: string, now: number): number | null {
    const e = this.expected.get(messageId);
    if (!e) return null;
    if (e.answeredAt === null) {
      // An answer that never came (the request timed out): do not hold its events for ever.
      return now - e.since >= RELAY_CONSTANTS.requestTimeoutMs ? null : Infinity;
    }
    const due = e.answeredAt + this.gapMs;
    if (due > now) return due;
    this.expected.delete(messageId);
    return null;
  }

  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.flush(), Math.max(1, Math.ceil(at - this.now())));
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
    else if (keep.length) this.arm(now + RELAY_CONSTANTS.requestTimeoutMs);
    if (ready.length) this.write(ready);
  }

  /** Forget sends whose gap has passed (and answers that never came). */
  private prune(now: number): void {
    for (const [id, e] of this.expected) {
      const over = e.answeredAt === null ? now - e.since >= RELAY_CONSTANTS.requestTimeoutMs : e.answeredAt + this.gapMs <= now;
      if (!over || this.heldIds.has(id)) break;
      this.expected.delete(id);
    }
  }
}
