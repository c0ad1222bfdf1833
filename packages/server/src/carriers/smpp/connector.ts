/**
 * The SMPP carrier: one connector = one SMSC account, with one or more binds. It composes four
 * parts that share one context (`context.ts`):
 * - `bind-pool.ts`: the binds, kept up with reconnect backoff;
 * - `part-queue.ts`: messages split into parts, sent within each bind's window and the throughput
 *   limit, paused when the SMSC throttles; parts a dropped bind left unanswered are re-sent, so no
 *   accepted message is lost (at-least-once: see docs/carriers/smpp.md);
 * - `receipt-ledger.ts`: accepted parts and their receipts in `carrier_parts`, and the status
 *   reports they decide;
 * - `mo-assembler.ts`: mobile-originated messages, reassembled when multipart.
 * Receipts that never came are asked for with `query_sm` (`query.ts`) by the engine's reconciler.
 */
import type { AwaitingReceipt, Carrier, CarrierDescriptor, CarrierQuery, CarrierSink, CarrierStatus, CarrierSubmission, CarrierView, PartlyTaken, SubmitResult } from '../../domain/ports/carrier.js';
import { acceptedBefore, type AcceptedBefore } from './accepted-before.js';
import { BindPool } from './bind-pool.js';
import type { SmppConnectorConfig } from './config.js';
import { newCounters, type SmppConnectorDeps, type SmppContext } from './context.js';
import { MoAssembler } from './mo-assembler.js';
import { PartQueue, type PartJob } from './part-queue.js';
import { findTlv, type DataSmPdu, type ShortMessagePdu } from './pdu/codec.js';
import { ESM_CLASS, TLV } from './pdu/constants.js';
import { queryMessages } from './query.js';
import { ReceiptLedger } from './receipt-ledger.js';

/**
 * How long the connector may have no bind able to send, or be paused by ESME_RTHROTTLED, before it
 * gives what waits outside the windows back to the dispatcher; meanwhile it answers new messages
 * "transient" at once. Messages waiting here hold dispatch slots, so such an SMSC would otherwise
 * hold up other carriers. Submits with no answer to any (an SMSC that binds but swallows submit_sm)
 * wait `stalledAfterMs` (unless set, the response timeout but at most 10 s) before everything goes back, those in a
 * window too: those are in doubt, and their retries wait for the parts' answers (`PartQueue.adopt`)
 * rather than send them again unless the bind ends first.
 */
export const DOWN_HAND_BACK_MS = 5_000;

export type { SmppConnectorDeps } from './context.js';

/** One SMSC account as a `Carrier`; built by the composition root from the `smpp` config section. */
export class SmppConnector implements Carrier {
  readonly descriptor: CarrierDescriptor;
  private sink: CarrierSink | undefined;
  private readonly counters = newCounters();
  private readonly binds: BindPool<PartJob>;
  private readonly parts: PartQueue;
  private readonly receipts: ReceiptLedger;
  private readonly mo: MoAssembler;
  private readonly ctx: SmppContext;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Since when no bind could send; undefined while one can. */
  private downSince: number | undefined;
  /** Messages went back to the dispatcher because of `heldBack`: tell the engine when sending works again. */
  private gaveBack = false;
  private started = false;
  private stopping = false;

  constructor(
    readonly config: SmppConnectorConfig,
    private readonly deps: SmppConnectorDeps,
  ) {
    this.descriptor = {
      id: config.id,
      kind: 'smpp',
      capabilities: { mms: false, deliveryReceipts: config.registeredDelivery !== 'none', unicode: true, maxRate: config.throughput || null },
    };
    const ctx: SmppContext = { config, deps, counters: this.counters, sink: () => this.sink };
    this.ctx = ctx;
    this.receipts = new ReceiptLedger(ctx);
    this.mo = new MoAssembler(ctx);
    this.parts = new PartQueue(ctx, {
      sessionWithRoom: () => this.binds.sessionWithRoom(),
      accepted: (part, carrierId) =>
        this.receipts.recordAccepted({ projectId: part.job.s.projectId, messageId: part.job.s.messageId, partIndex: part.index, partCount: part.job.parts.length }, carrierId),
    });
    this.binds = new BindPool<PartJob>(ctx, {
      submitAnswered: (part, resp) => {
        this.parts.onSubmitAnswered(part, resp);
        if (this.gaveBack) this.checkRecovered();
      },
      deliver: (pdu) => this.onDeliver(pdu),
      // Receipts sent again are duplicates the ledger recognises; MOs need telling (`MoAssembler.answerLost`).
      answersLost: (pdus) => {
        for (const pdu of pdus) if (!isReport(pdu)) this.mo.answerLost(pdu);
      },
      bound: () => {
        this.parts.pump();
        this.checkRecovered();
      },
      unanswered: (parts, reason) => this.parts.handBack(parts, reason),
    });
  }

  async start(sink: CarrierSink): Promise<void> {
    this.sink = sink;
    this.started = true;
    this.binds.start();
    this.sweepTimer = setInterval(() => this.onSweep(), 1000);
    this.sweepTimer.unref();
    this.receipts.start();
    // Parts of multipart MOs kept before a restart; a failure is retried by the next part.
    this.mo.recover().catch((err: unknown) => this.deps.logger.warn({ err, carrier: this.config.id }, 'reading back kept multipart MO parts failed; tried again at the next part'));
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // Parts not sent yet go back to the engine; answers already on their way are awaited briefly.
    this.parts.stop('SMPP connector stopping');
    await this.binds.stop(Math.min(5000, this.config.responseTimeoutMs));
    this.parts.abandon('SMPP connector stopped before the SMSC answered');
    // MO parts still buffered are delivered as they are rather than dropped.
    await this.mo.flushAll();
    await this.receipts.stop();
  }

  health(): { ok: boolean; detail?: string } {
    if (this.stopping) return { ok: false, detail: 'stopped' };
    // A carrier that is down does not make the node unready: messages queue durably until it is back.
    return { ok: true, detail: `${this.binds.bound} of ${this.binds.size} binds up` };
  }

  status(): CarrierStatus {
    const links = this.binds.links();
    const sending = links.filter((l) => l.mode !== 'receiver');
    const up = sending.filter((l) => l.state === 'bound').length;
    const receiving = links.filter((l) => l.mode !== 'transmitter');
    const receiversUp = receiving.filter((l) => l.state === 'bound').length;
    const state: CarrierStatus['state'] = this.stopping ? 'stopped' : up === 0 ? 'down' : up < sending.length || receiversUp < receiving.length ? 'degraded' : 'up';
    return {
      state,
      links,
      queued: this.parts.queued,
      throughput: this.parts.throughput,
      throughputLimit: this.config.throughput || null,
      counters: { ...this.counters },
    };
  }

  submit(batch: readonly CarrierSubmission[]): Promise<SubmitResult[]> {
    if (this.stopping || !this.started) return Promise.resolve(batch.map(() => ({ outcome: 'transient', detail: 'SMPP connector not running' }) as const));
    const held = this.heldBack(this.deps.now());
    if (held) {
      this.gaveBack = true;
      return Promise.resolve(batch.map(() => ({ outcome: 'transient', detail: held.detail }) as const));
    }
    // Retries first look for parts the SMSC already took (the previous try's node died before `sent`).
    const retried = batch.filter((s) => s.attempt > 1 && s.kind === 'sms' && !this.parts.isInDoubt(s));
    if (retried.length === 0) return this.enqueue(batch, new Map());
    return acceptedBefore(this.ctx, retried, (parts) => this.receipts.reportsFor(parts)).then((found) => this.enqueue(batch, found));
  }

  /**
   * Retries not to be sent again (`Carrier.takenBefore`): accepted when the SMSC took every part
   * before (`acceptedBefore`, with the final state the parts' receipts decide), `transient` while
   * parts of an earlier try still wait for its answer in a window, `partly taken` when it took some
   * parts only, else null. Nothing is sent.
   */
  async takenBefore(batch: readonly CarrierSubmission[]): Promise<Array<SubmitResult | PartlyTaken | null>> {
    if (this.stopping || !this.started) return batch.map(() => ({ outcome: 'transient', detail: 'SMPP connector not running' }));
    const asked = batch.filter((s) => s.kind === 'sms' && !this.parts.isInDoubt(s));
    const partly = new Map<string, { taken: number; parts: number }>();
    const found = asked.length ? await acceptedBefore(this.ctx, asked, (parts) => this.receipts.reportsFor(parts), 'throw', partly) : new Map<string, AcceptedBefore>();
    return batch.map((s): SubmitResult | PartlyTaken | null => {
      if (this.parts.isInDoubt(s)) return { outcome: 'transient', detail: 'parts of an earlier try still wait for the SMSC' };
      const before = found.get(s.messageId);
      const some = partly.get(s.messageId);
      if (!before) return some ? { outcome: 'partly taken', ...some } : null;
      this.counters.already_accepted++;
      return { outcome: 'accepted', ...before };
    });
  }

  private enqueue(batch: readonly CarrierSubmission[], acceptedBefore: ReadonlyMap<string, AcceptedBefore>): Promise<SubmitResult[]> {
    // Stopped during the lookup: the queue would never answer.
    if (this.stopping) return Promise.resolve(batch.map(() => ({ outcome: 'transient', detail: 'SMPP connector not running' }) as const));
    const results = batch.map((s): Promise<SubmitResult> | SubmitResult => {
      const before = acceptedBefore.get(s.messageId);
      if (!before) return this.parts.enqueue(s);
      this.counters.already_accepted++;
      return { outcome: 'accepted', ...before };
    });
    this.parts.pump();
    return Promise.all(results);
  }

  /** See `ReceiptLedger.recover`: report messages whose receipts were recorded but not their final state. */
  recover(awaiting: readonly AwaitingReceipt[]): void {
    this.receipts.recover(awaiting);
  }

  /** `query_sm` for the parts of overdue messages still without a receipt (see `query.ts`). */
  query(messages: readonly CarrierQuery[]): Promise<CarrierView[]> {
    if (this.stopping || !this.started) return Promise.reject(new Error(`SMPP connector ${this.config.id} is not running`));
    return queryMessages(this.ctx, () => this.binds.senders(), messages);
  }

  /**
   * Why messages should not wait here now (no bind or throttled for DOWN_HAND_BACK_MS, or no submit
   * answered for `stalledAfterMs`), if so; `stalled`: the SMSC answers nothing, so what is in its windows may
   * never be answered either.
   */
  private heldBack(now: number): { detail: string; stalled: boolean } | undefined {
    const down = this.downFor(now);
    if (down >= DOWN_HAND_BACK_MS) return { detail: `no SMPP bind up for ${Math.round(down / 1000)} s; retried by the dispatcher`, stalled: false };
    const throttled = this.parts.throttledFor(now);
    if (throttled >= DOWN_HAND_BACK_MS) return { detail: `SMSC throttling for ${Math.round(throttled / 1000)} s; retried by the dispatcher`, stalled: false };
    const unanswered = this.parts.unansweredFor(now);
    if (unanswered >= this.config.stalledAfterMs) return { detail: `SMSC answered no submit_sm for ${Math.round(unanswered / 1000)} s; retried by the dispatcher`, stalled: true };
    return undefined;
  }

  /** After messages went back to the dispatcher: once a bind can send again, say so (their retries come forward). */
  private checkRecovered(): void {
    if (!this.gaveBack || this.stopping || this.heldBack(this.deps.now())) return;
    this.gaveBack = false;
    this.sink?.available?.(this.config.id);
  }

  /** How long no bind has been able to send (0 while one can). */
  private downFor(now: number): number {
    if (this.binds.canSend()) {
      this.downSince = undefined;
      return 0;
    }
    this.downSince ??= now;
    return now - this.downSince;
  }

  private onDeliver(pdu: ShortMessagePdu | DataSmPdu): Promise<number> {
    return isReport(pdu) ? this.receipts.onReceipt(pdu) : this.mo.onMo(pdu);
  }

  /** Once a second: the throughput gauge moves on, early receipts and stale MO parts expire. */
  private onSweep(): void {
    const now = this.deps.now();
    // Messages go back to the dispatch queue, where they hold no dispatch slot that other carriers'
    // messages need: those not in a window, or all of them when the SMSC answers nothing (those in
    // a window are in doubt: their retries take over their parts rather than send them again).
    const held = this.heldBack(now);
    if (held && (held.stalled ? this.parts.giveBackAll(held.detail) : this.parts.handBackWaiting(held.detail))) this.gaveBack = true;
    this.checkRecovered();
    this.parts.tick();
    this.receipts.expireEarly(now);
    this.mo.flushStale(now);
  }
}

/** Whether a deliver_sm/data_sm is a receipt or another report, not a handset's message. */
function isReport(pdu: ShortMessagePdu | DataSmPdu): boolean {
  const type = pdu.esmClass & ESM_CLASS.TYPE_MASK;
  // An SME delivery acknowledgement is a report too, never a handset's message (Kannel reads it
  // as a receipt: esm_class & (0x04|0x08|0x20) in gw/smsc/smsc_smpp.c).
  if (type === ESM_CLASS.DELIVERY_RECEIPT || type === ESM_CLASS.INTERMEDIATE || type === ESM_CLASS.SME_DELIVERY_ACK) return true;
  // receipted_message_id with message_state is a receipt whatever esm_class says: a handset cannot
  // set TLVs, and some SMSCs leave esm_class 0 on receipts (Jasmin reads these TLVs first, without
  // looking at esm_class: isDeliveryReceipt in jasmin/protocols/smpp/operations.py). The receipt's
  // text alone is not trusted so: a handset can write it.
  return findTlv(pdu.tlvs, TLV.receipted_message_id) !== undefined && findTlv(pdu.tlvs, TLV.message_state) !== undefined;
}
