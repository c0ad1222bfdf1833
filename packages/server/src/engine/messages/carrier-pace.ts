/**
 * Dispatch to carriers that declare a rate (`capabilities.maxRate`: an SMPP connector's
 * `throughput`, in parts per second). Such a carrier queues what it is handed and sends it at its
 * rate, so a batch of 500 messages to one at 10/s is answered after 50 s: held in a dispatch slot,
 * a backlog spread over every slot kept every other carrier's messages — other projects' too —
 * waiting for minutes.
 *
 * So a rated carrier is handed at most what it sends in `windowMs` (half the dispatch lease, so what
 * it is handed is answered within its lease): the cost of a message is its segments over the rate,
 * and the messages handed to the carrier and not answered yet add up to at most the window (one
 * message always goes, however long). The rest of a batch is put back in the queue, pinned to the
 * carrier, for when what the carrier holds will have gone down to half the window — as a carrier's
 * `throttled` answer is, with a claim and a reschedule each. Being bounded so, a rated carrier's
 * submissions hold no dispatch slot: the slots are for the carriers without a rate (the
 * simulator), which the batch waits for as before. A message handed to the carrier again while
 * the carrier still holds it (claimed again after its lease) joins that submission and costs nothing.
 *
 * Carriers without a rate cost one property read per carrier in a batch: nothing per message.
 */
import type { Carrier } from '../../domain/ports/carrier.js';
import type { MessageRecord } from '../../domain/message.js';

/** What a carrier is handed: what is read of it here is its message (the carrier is `admit`'s and `done`'s argument). */
export interface PacedItem {
  readonly message: MessageRecord;
}

/** The rate a carrier declares, if any (segments per second). */
export function declaredRate(carrier: Carrier): number | null {
  const rate = carrier.descriptor.capabilities.maxRate;
  return rate !== null && rate > 0 ? rate : null;
}

export class CarrierPace {
  /** Per rated carrier: the messages it was handed and has not answered, with their cost in ms. */
  private readonly held = new Map<string, { ms: number; messages: Map<string, number> }>();
  /** Rated carriers' submissions in flight (they hold no dispatch slot). */
  private submitting = 0;

  constructor(private readonly windowMs: number) {}

  /** Submissions to rated carriers in flight. */
  get active(): number {
    return this.submitting;
  }

  /**
   * Of `items` (all for `carrier`, whose rate is `rate`), those it may be handed now, in order, and
   * when the rest may come back (`retryAt`, ms); the ones taken count as held until `done`.
   */
  admit<T extends PacedItem>(carrier: Carrier, rate: number, items: readonly T[], now: number): { go: T[]; later: T[]; retryAt: number } {
    const id = carrier.descriptor.id;
    let state = this.held.get(id);
    if (!state) this.held.set(id, (state = { ms: 0, messages: new Map() }));
    const go: T[] = [];
    const later: T[] = [];
    for (const item of items) {
      const m = item.message;
      // Still held by the carrier (claimed again after its lease): the submission joins it.
      if (state.messages.has(m.id)) {
        go.push(item);
        continue;
      }
      const cost = ((m.kind === 'mms' ? 1 : Math.max(1, m.segments)) * 1000) / rate;
      if (state.ms > 0 && state.ms + cost > this.windowMs) {
        later.push(item);
        continue;
      }
      state.ms += cost;
      state.messages.set(m.id, cost);
      go.push(item);
    }
    return { go, later, retryAt: now + Math.max(this.windowMs / 2, state.ms - this.windowMs / 2) };
  }

  /** A submission to a rated carrier began. */
  begin(): void {
    this.submitting++;
  }

  /** The carrier answered these messages (or the submission ended): they are not held any more. */
  done(carrier: Carrier, items: readonly PacedItem[]): void {
    this.submitting--;
    const state = this.held.get(carrier.descriptor.id);
    if (!state) return;
    for (const { message } of items) {
      const cost = state.messages.get(message.id);
      if (cost === undefined) continue;
      state.messages.delete(message.id);
      state.ms -= cost;
    }
    if (state.messages.size === 0) this.held.delete(carrier.descriptor.id);
  }
}
