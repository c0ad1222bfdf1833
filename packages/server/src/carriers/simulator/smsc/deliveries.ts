/**
 * deliver_sm from the simulator's SMSC to its ESMEs — receipts and mobile-originated messages.
 * Each goes to a receiving bind of its account (round robin), waits while none is bound, and is
 * sent again when the ESME refuses it, drops the bind or never answers. They ride one timer heap.
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
  attempts: number;
}

/** A receiving bind, as the queue sees it. */
export interface DeliverTarget {
  deliver(item: PendingDeliver, now: number): void;
}

/** What the queue needs from the SMSC. */
export interface DeliverQueueDeps {
  /** The binds of `systemId` that can take a deliver_sm now. */
  receivers(systemId: string): readonly DeliverTarget[];
  readonly stats: SmscStats;
  readonly logger: Logger;
  readonly now: () => number;
  /** Times redeliveries when given (a manual clock moves them). */
  readonly clock?: Clock | undefined;
}

const MAX_WAITING_DELIVERS = 100_000;
const MAX_ATTEMPTS = 5;

/** The deliver_sm waiting for their time, for a receiving bind, or for another attempt. */
export class DeliverQueue {
  private readonly timers: TimerQueue<PendingDeliver>;
  private readonly waiting: PendingDeliver[] = [];
  private rr = 0;

  constructor(private readonly deps: DeliverQueueDeps) {
    this.timers = new TimerQueue((due) => due.forEach((item) => this.send(item)), deps.clock ?? deps.now);
  }

  /** How many wait for a receiving bind. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Send `item` at `at` (ms). */
  schedule(at: number, item: PendingDeliver): void {
    this.timers.schedule(at, item);
  }

  /** Send `item` now to a receiving bind of its account, or hold it until one binds. */
  send(item: PendingDeliver): void {
    const candidates = this.deps.receivers(item.systemId);
    if (candidates.length === 0) {
      if (this.waiting.length < MAX_WAITING_DELIVERS) this.waiting.push(item);
      return;
    }
    candidates[this.rr++ % candidates.length]!.deliver(item, this.deps.now());
    if (item.kind === 'receipt' && item.attempts === 0) this.deps.stats.receiptsSent++;
  }

  /** Send `item` again a little later, backing off; give up after a few attempts. */
  retry(item: PendingDeliver): void {
    item.attempts++;
    this.deps.stats.delivers_retried++;
    if (item.attempts > MAX_ATTEMPTS) {
      this.deps.logger.warn({ kind: item.kind }, `simulator SMSC gave up a deliver_sm after ${MAX_ATTEMPTS} attempts`);
      return;
    }
    this.timers.schedule(this.deps.now() + 100 * item.attempts, item);
  }

  /** A receiving bind came up: what waited for one goes now. */
  flushWaiting(): void {
    const items = this.waiting.splice(0, this.waiting.length);
    for (const item of items) this.send(item);
  }

  stop(): void {
    this.timers.stop();
  }
}

/** A deliver_sm from `from` to `to` with the given payload. */
export function deliverSm(from: string, to: string, esmClass: number, dataCoding: number, shortMessage: Buffer, tlvs: readonly Tlv[]): DeliverSm {
  return {
    command: 'deliver_sm',
    status: 0,
    serviceType: '',
    source: addressOf(from),
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
