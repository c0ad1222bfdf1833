/**
 * deliver_sm from the simulator's SMSC to its ESMEs — receipts and mobile-originated messages.
 * Each goes to a receiving bind of its account (round robin) that has window space, waits (in order,
 * per account) while none has, and is sent again when the ESME refuses it, drops the bind or never
 * answers. They ride one timer heap.
 */
import type { Clock } from '../../../domain/clock.js';
import type { Logger } from '../../../domain/ports/logger.js';
import type { SmscStats } from '../../../domain/ports/simulator.js';
import { TimerQueue } from '../../../util/timer-queue.js';
import type { ShortMessagePdu, Tlv } from '../../smpp/pdu/codec.js';
import { addressOf } from './addresses.js';

/** A deliver_sm before it gets its sequence number. */
export type DeliverSm = Omit<ShortMessagePdu, 'sequence'>;

/** A deliver_sm on its way, until a receiving bind acknowledges it. */
export interface PendingDeliver {
  readonly systemId: string;
  readonly pdu: DeliverSm;
  readonly kind: 'receipt' | 'mo';
  /** A receipt's message number, by which the SMSC forgets it once acknowledged (`owed-receipts.ts`). */
  readonly seq?: number;
  attempts: number;
}

/** A receiving bind, as the queue sees it. */
export interface DeliverTarget {
  deliver(item: PendingDeliver, now: number): void;
}

/** What the queue needs from the SMSC. */
export interface DeliverQueueDeps {
  /** The binds of `systemId` that can take a deliver_sm now (bound to receive, with window space). */
  receivers(systemId: string): readonly DeliverTarget[];
  readonly stats: SmscStats;
  readonly logger: Logger;
  readonly now: () => number;
  /** Times redeliveries when given (a manual clock moves them). */
  readonly clock?: Clock | undefined;
  /** A deliver_sm given up after `MAX_REDELIVERIES`. */
  gaveUp?(item: PendingDeliver): void;
}

const MAX_WAITING_DELIVERS = 100_000;
/**
 * A deliver_sm refused or left unanswered is sent again after 0.1, 0.2, 0.4 … s, at most a minute
 * apart, 20 times: about 12 minutes in all. An ESME that refuses for a while (its database
 * unavailable, `ESME_RX_T_APPN` while it catches up, a node taken over by another) still gets its
 * receipts; a few tries over 1.5 s lost them, leaving messages `sent` until reconciliation.
 */
export const MAX_REDELIVERIES = 20;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 60_000;

/** The pause before attempt `attempts` + 1 of a deliver_sm that was refused or not answered. */
export function redeliveryDelay(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 20));
}

/** The deliver_sm of one account waiting for a bind with room, oldest first (a head index, not shift). */
interface Waiting {
  items: PendingDeliver[];
  head: number;
}

/** The deliver_sm waiting for their time, for a receiving bind with room, or for another attempt. */
export class DeliverQueue {
  private readonly timers: TimerQueue<PendingDeliver>;
  private readonly waiting = new Map<string, Waiting>();
  private waitingTotal = 0;
  private rr = 0;

  constructor(private readonly deps: DeliverQueueDeps) {
    this.timers = new TimerQueue((due) => due.forEach((item) => this.send(item)), deps.clock ?? deps.now);
  }

  /** How many wait for a receiving bind with room. */
  get waitingCount(): number {
    return this.waitingTotal;
  }

  /** Send `item` at `at` (ms). */
  schedule(at: number, item: PendingDeliver): void {
    this.timers.schedule(at, item);
  }

  /** Send `item` now to a receiving bind of its account with room, or hold it (behind those already waiting) until one has. */
  send(item: PendingDeliver): void {
    const queued = this.waiting.get(item.systemId);
    if (queued || !this.deliver(item)) {
      if (this.waitingTotal >= MAX_WAITING_DELIVERS) return;
      const w = queued ?? { items: [], head: 0 };
      if (!queued) this.waiting.set(item.systemId, w);
      w.items.push(item);
      this.waitingTotal++;
      if (queued) this.flushAccount(item.systemId);
    }
  }

  private deliver(item: PendingDeliver): boolean {
    const candidates = this.deps.receivers(item.systemId);
    if (candidates.length === 0) return false;
    candidates[this.rr++ % candidates.length]!.deliver(item, this.deps.now());
    if (item.kind === 'receipt' && item.attempts === 0) this.deps.stats.receiptsSent++;
    return true;
  }

  /** Send `item` again later, backing off (`redeliveryDelay`); give up after `MAX_REDELIVERIES`. */
  retry(item: PendingDeliver): void {
    item.attempts++;
    this.deps.stats.delivers_retried++;
    if (item.attempts > MAX_REDELIVERIES) {
      this.deps.logger.warn({ kind: item.kind }, `simulator SMSC gave up a deliver_sm after ${MAX_REDELIVERIES + 1} attempts (the first and ${MAX_REDELIVERIES} redeliveries)`);
      this.deps.gaveUp?.(item);
      return;
    }
    this.timers.schedule(this.deps.now() + redeliveryDelay(item.attempts), item);
  }

  /**
   * A receiving bind came up or has room again: what waited goes now, as far as there is room —
   * for `systemId` only when given (room on one bind helps its own account only), else for all.
   */
  flushWaiting(systemId?: string): void {
    if (systemId !== undefined) return this.flushAccount(systemId);
    for (const id of this.waiting.keys()) this.flushAccount(id);
  }

  private flushAccount(systemId: string): void {
    const w = this.waiting.get(systemId);
    if (!w) return;
    while (w.head < w.items.length && this.deliver(w.items[w.head]!)) {
      w.head++;
      this.waitingTotal--;
    }
    if (w.head === w.items.length) this.waiting.delete(systemId);
    else if (w.head > 1024 && w.head * 2 > w.items.length) {
      w.items = w.items.slice(w.head);
      w.head = 0;
    }
  }

  stop(): void {
    this.timers.stop();
  }
}

/** A deliver_sm from `from` (with type of number `fromTon` when given) to `to` with the given payload. */
export function deliverSm(from: string, to: string, esmClass: number, dataCoding: number, shortMessage: Buffer, tlvs: readonly Tlv[], fromTon?: number): DeliverSm {
  const source = addressOf(from);
  return {
    command: 'deliver_sm',
    status: 0,
    serviceType: '',
    source: fromTon === undefined ? source : { ...source, ton: fromTon },
    destination: addressOf(to),
    esmClass,
    protocolId: 0,
    priorityFlag: 0,
    scheduleDeliveryTime: '',
    validityPeriod: '',
    registeredDelivery: 0,
    replaceIfPresent: 0,
    dataCoding,
    smDefaultMsgId: 0,
    shortMessage,
    tlvs,
  };
}
