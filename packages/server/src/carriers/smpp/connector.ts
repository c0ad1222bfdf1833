/**
 * The SMPP carrier: one connector = one SMSC account, with one or more binds. Messages are split
 * into parts and queued; a pump sends parts while a bind has window space and the token bucket
 * has a token, otherwise it waits on one timer (never rejects for rate). `ESME_RTHROTTLED` and
 * `ESME_RMSGQFUL` put the part back at the head of the queue and pause sending with a growing
 * backoff. A bind that drops hands its unanswered parts back to the queue; they are re-sent once
 * a bind is up again, so no accepted message is lost (at-least-once: see docs/carriers/smpp.md).
 *
 * Receipts correlate through the `carrier_parts` table by normalised carrier id. Part inserts and
 * receipt updates go through one ordered batcher, so a receipt queued after its part's insert
 * always finds it; a receipt that overtakes its `submit_sm_resp` waits in a bounded hold map.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ERRORS, type ErrorKey } from '@switchboard/protocol';
import type {
  AwaitingReceipt,
  Carrier,
  CarrierDescriptor,
  CarrierLinkStatus,
  CarrierSink,
  CarrierStatus,
  CarrierSubmission,
  InboundMessage,
  StatusReport,
  SubmitResult,
} from '../../domain/ports/carrier.js';
import type { CarrierPartOutcome, CarrierPartRecord, Store } from '../../domain/ports/store.js';
import type { Logger } from '../../domain/ports/logger.js';
import { Batcher } from '../../util/batcher.js';
import type { SmppConnectorConfig } from './config.js';
import { classifySubmitStatus, receiptOutcome, type ReceiptOutcome } from './error-codes.js';
import { normaliseId } from './message-ids.js';
import type { Address, DataSmPdu, MessageIdRespPdu, ShortMessagePdu } from './pdu/codec.js';
import { ESM_CLASS, STATUS, statusName } from './pdu/constants.js';
import { parseReceipt } from './receipt.js';
import { decide } from './receipt-policy.js';
import { SmppSession, type BindMode, type SubmitFields } from './session.js';
import { decodeInbound, encodeOutbound } from './text.js';
import { TokenBucket } from '../../util/token-bucket.js';

/** One message handed to the connector, until every part is answered. */
interface MessageJob {
  readonly s: CarrierSubmission;
  readonly parts: PartJob[];
  answered: number;
  settled: boolean;
  anyAccepted: boolean;
  rejected?: { error: ErrorKey; detail: string };
  resolve(r: SubmitResult): void;
}

/** One submit_sm of a message. */
interface PartJob {
  readonly job: MessageJob;
  /** 1-based. */
  readonly index: number;
  readonly fields: SubmitFields;
  attempts: number;
  carrierId: string | null;
  /** It was in a window when a bind dropped, and is being sent again. */
  resent: boolean;
}

/** A bind slot: keeps one session of a mode alive, reconnecting with backoff. */
interface Slot {
  readonly name: string;
  readonly mode: BindMode;
  session: SmppSession<PartJob> | null;
  state: CarrierLinkStatus['state'];
  backoffMs: number;
  lastError: string | null;
  timer: NodeJS.Timeout | undefined;
}

type LedgerOp = { readonly kind: 'insert'; readonly part: CarrierPartRecord } | { readonly kind: 'receipt'; readonly outcome: CarrierPartOutcome };
type LedgerResult = 'ok' | 'applied' | 'duplicate' | 'unknown';

interface MoGroup {
  readonly first: number;
  readonly from: string;
  readonly to: string;
  readonly total: number;
  readonly texts: Array<string | undefined>;
  received: number;
}

/** Receipts waiting for their part's submit_sm_resp, and the MO parts buffered, are bounded. */
const MAX_EARLY_RECEIPTS = 100_000;
const MAX_MO_PARTS = 20_000;
const THROTTLE_BASE_MS = 200;
const THROTTLE_MAX_MS = 10_000;

export interface SmppConnectorDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly now: () => number;
}

export class SmppConnector implements Carrier {
  readonly descriptor: CarrierDescriptor;
  private sink: CarrierSink | undefined;
  private readonly slots: Slot[] = [];
  private queue: PartJob[] = [];
  private head = 0;
  private readonly bucket: TokenBucket | null;
  private throttledUntil = 0;
  private throttleBackoff = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpAt = Infinity;
  private pumping = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private reference = Math.floor(Math.random() * 65536);
  private readonly jobs = new Set<MessageJob>();
  private readonly ledger: Batcher<LedgerOp, LedgerResult>;
  private readonly early = new Map<string, { outcome: CarrierPartOutcome; expires: number }>();
  private readonly mo = new Map<string, MoGroup>();
  private moParts = 0;
  /** Parts sent per second over the last seconds (ring), for the throughput gauge. */
  private readonly sentRing = new Array<number>(5).fill(0);
  private sentThisSecond = 0;
  private readonly tls: ConnectionOptions | null;
  private readonly counters = {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    throttled: 0,
    transient_errors: 0,
    resent: 0,
    binds: 0,
    bind_failures: 0,
    disconnects: 0,
    receipts: 0,
    receipts_intermediate: 0,
    receipts_early: 0,
    receipts_orphaned: 0,
    receipts_duplicate: 0,
    receipts_unreadable: 0,
    mo_received: 0,
    mo_unrouted: 0,
    mo_incomplete: 0,
    protocol_errors: 0,
  };

  constructor(
    readonly config: SmppConnectorConfig,
    private readonly deps: SmppConnectorDeps,
  ) {
    this.descriptor = {
      id: config.id,
      kind: 'smpp',
      capabilities: { mms: false, deliveryReceipts: config.registeredDelivery !== 'none', unicode: true, maxRate: config.throughput || null },
    };
    this.bucket = config.throughput > 0 ? new TokenBucket(config.throughput, Math.max(1, Math.ceil(config.throughput / 10)), deps.now()) : null;
    this.ledger = new Batcher((ops) => this.flushLedger(ops), 2000);
    this.tls = config.tls
      ? {
          rejectUnauthorized: config.tls.rejectUnauthorized,
          ...(config.tls.caFile ? { ca: readFileSync(config.tls.caFile) } : {}),
          ...(config.tls.servername ? { servername: config.tls.servername } : {}),
        }
      : null;
    const sendMode: BindMode = config.bindMode === 'transceiver' ? 'transceiver' : 'transmitter';
    for (let i = 0; i < config.binds; i++) this.slots.push(this.slot(`${sendMode}-${i + 1}`, sendMode));
    for (let i = 0; i < config.receivers; i++) this.slots.push(this.slot(`receiver-${i + 1}`, 'receiver'));
  }

  private slot(name: string, mode: BindMode): Slot {
    return { name, mode, session: null, state: 'down', backoffMs: this.config.reconnectMinMs, lastError: null, timer: undefined };
  }

  // ------------------------------------------------------------------ lifecycle

  async start(sink: CarrierSink): Promise<void> {
    this.sink = sink;
    this.started = true;
    // Binding happens in the background: a carrier that is down must not stop the server starting.
    for (const s of this.slots) void this.connect(s);
    this.sweepTimer = setInterval(() => this.onSweep(), 1000);
    this.sweepTimer.unref();
    this.pruneTimer = setInterval(() => {
      const before = this.deps.now() - this.config.partRetentionHours * 3_600_000;
      this.deps.store.carrierParts.pruneOlderThan(before).catch((err) => this.deps.logger.warn({ err, carrier: this.config.id }, 'pruning SMPP part records failed'));
    }, 3_600_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    // Parts not sent yet go back to the engine; answers already on their way are awaited briefly.
    for (let i = this.head; i < this.queue.length; i++) this.settleTransient(this.queue[i]!.job, 'SMPP connector stopping');
    this.queue = [];
    this.head = 0;
    const deadline = this.deps.now() + Math.min(5000, this.config.responseTimeoutMs);
    while (this.slots.some((s) => (s.session?.inFlight ?? 0) > 0) && this.deps.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.slots.map((s) => s.session?.unbind()));
    for (const s of this.slots) s.state = 'stopped';
    for (const job of [...this.jobs]) this.settleTransient(job, 'SMPP connector stopped before the SMSC answered');
    // MO parts still buffered are delivered as they are rather than dropped.
    for (const key of [...this.mo.keys()]) await this.flushMoGroup(key, true).catch(() => undefined);
    await this.ledger.drain();
  }

  health(): { ok: boolean; detail?: string } {
    if (this.stopping) return { ok: false, detail: 'stopped' };
    const up = this.slots.filter((s) => s.state === 'bound').length;
    // A carrier that is down does not make the node unready: messages queue durably until it is back.
    return { ok: true, detail: `${up} of ${this.slots.length} binds up` };
  }

  status(): CarrierStatus {
    const links: CarrierLinkStatus[] = this.slots.map((s) => ({
      id: s.name,
      mode: s.mode,
      state: s.state,
      windowUsed: s.session?.inFlight ?? 0,
      windowSize: s.mode === 'receiver' ? 0 : this.config.window,
      boundSince: s.session?.boundAt || null,
      lastError: s.lastError,
    }));
    const sending = links.filter((l) => l.mode !== 'receiver');
    const up = sending.filter((l) => l.state === 'bound').length;
    const receiversUp = links.filter((l) => l.state === 'bound' && l.mode !== 'transmitter').length;
    const state: CarrierStatus['state'] = this.stopping ? 'stopped' : up === 0 ? 'down' : up < sending.length || receiversUp < links.filter((l) => l.mode !== 'transmitter').length ? 'degraded' : 'up';
    return {
      state,
      links,
      queued: this.queue.length - this.head,
      throughput: this.sentRing.reduce((a, b) => a + b, 0) / this.sentRing.length,
      throughputLimit: this.config.throughput || null,
      counters: { ...this.counters },
    };
  }

  // ------------------------------------------------------------------ binds

  private async connect(slot: Slot): Promise<void> {
    slot.timer = undefined;
    if (this.stopping) return;
    slot.state = 'connecting';
    const c = this.config;
    const session = new SmppSession<PartJob>(
      {
        host: c.host,
        port: c.port,
        tls: this.tls,
        mode: slot.mode,
        systemId: c.systemId,
        password: c.password,
        systemType: c.systemType,
        addrTon: 0,
        addrNpi: 0,
        addressRange: c.addressRange,
        enquireLinkMs: c.enquireLinkMs,
        responseTimeoutMs: c.responseTimeoutMs,
        connectTimeoutMs: c.connectTimeoutMs,
      },
      {
        submitAnswered: (_s, part, resp) => this.onSubmitAnswered(part, resp),
        deliver: (_s, pdu) => this.onDeliver(pdu),
        closed: (s, reason, unanswered) => this.onClosed(slot, s, reason, unanswered),
        protocolError: (_s, reason) => {
          this.counters.protocol_errors++;
          this.deps.logger.warn({ carrier: c.id, bind: slot.name, reason }, 'unreadable PDU from the SMSC');
        },
      },
      this.deps.now,
    );
    slot.session = session;
    try {
      await session.open();
    } catch (err) {
      this.counters.bind_failures++;
      slot.lastError = (err as Error).message;
      this.deps.logger.warn({ carrier: c.id, bind: slot.name, err: slot.lastError, retryInMs: slot.backoffMs }, 'SMPP bind failed');
      return; // `closed` has scheduled the retry
    }
    if (this.stopping) return void session.unbind();
    slot.state = 'bound';
    slot.lastError = null;
    slot.backoffMs = c.reconnectMinMs;
    this.counters.binds++;
    this.deps.logger.info({ carrier: c.id, bind: slot.name, host: c.host, port: c.port }, 'SMPP bound');
    this.pump();
  }

  private onClosed(slot: Slot, session: SmppSession<PartJob>, reason: string, unanswered: PartJob[]): void {
    if (slot.session !== session) return;
    const wasBound = slot.state === 'bound';
    slot.session = null;
    if (this.stopping) {
      slot.state = 'stopped';
      for (const p of unanswered) this.settleTransient(p.job, `SMPP bind closed before the SMSC answered: ${reason}`);
      return;
    }
    slot.state = 'down';
    slot.lastError = reason;
    if (wasBound) {
      this.counters.disconnects++;
      this.deps.logger.warn({ carrier: this.config.id, bind: slot.name, reason, resending: unanswered.length }, 'SMPP bind lost; reconnecting');
    }
    // Parts the SMSC never answered go back to the head of the queue, in their original order.
    const again = unanswered.filter((p) => !p.job.settled);
    for (const p of again) p.resent = true;
    this.counters.resent += again.length;
    if (again.length) this.requeueFront(again);
    const jitter = Math.floor(Math.random() * Math.min(1000, slot.backoffMs / 2));
    slot.timer = setTimeout(() => void this.connect(slot), slot.backoffMs + jitter);
    slot.timer.unref();
    slot.backoffMs = Math.min(this.config.reconnectMaxMs, slot.backoffMs * 2);
  }

  // ------------------------------------------------------------------ submitting

  submit(batch: readonly CarrierSubmission[]): Promise<SubmitResult[]> {
    if (this.stopping || !this.started) return Promise.resolve(batch.map(() => ({ outcome: 'transient', detail: 'SMPP connector not running' }) as const));
    const results = batch.map((s) => this.enqueue(s));
    this.pump();
    return Promise.all(results);
  }

  private enqueue(s: CarrierSubmission): Promise<SubmitResult> {
    if (s.kind === 'mms' || s.media.length) return Promise.resolve({ outcome: 'rejected', error: 'MMS_FAILED', detail: `carrier ${this.config.id} (SMPP) carries SMS only` });
    let fields: SubmitFields[];
    try {
      fields = this.buildParts(s);
    } catch (err) {
      return Promise.resolve({ outcome: 'rejected', error: 'UNKNOWN_DELIVERY_ERROR', detail: `cannot encode for SMPP: ${(err as Error).message}` });
    }
    return new Promise<SubmitResult>((resolve) => {
      const job: MessageJob = { s, parts: [], answered: 0, settled: false, anyAccepted: false, resolve };
      fields.forEach((f, i) => job.parts.push({ job, index: i + 1, fields: f, attempts: 0, carrierId: null, resent: false }));
      this.jobs.add(job);
      for (const p of job.parts) this.queue.push(p);
    });
  }

  private buildParts(s: CarrierSubmission): SubmitFields[] {
    const c = this.config;
    this.reference = (this.reference + 1) % 65536;
    const parts = encodeOutbound(s.body, { gsmEncoding: c.gsmEncoding, split: c.split }, this.reference);
    const source = sourceAddress(s.from, c.source);
    const destination: Address = { ton: c.destination.ton, npi: c.destination.npi, addr: s.to.replace(/^\+/, '') };
    const registeredDelivery = c.registeredDelivery === 'final' ? 1 : c.registeredDelivery === 'failure' ? 2 : 0;
    const validityPeriod = smppAbsoluteTime(s.expiresAt);
    return parts.map((p) => ({
      serviceType: c.serviceType,
      source,
      destination,
      esmClass: p.esmClassBits,
      protocolId: 0,
      priorityFlag: 0,
      scheduleDeliveryTime: '',
      validityPeriod,
      registeredDelivery,
      replaceIfPresent: 0,
      dataCoding: p.dataCoding,
      smDefaultMsgId: 0,
      shortMessage: p.shortMessage,
      tlvs: p.tlvs,
    }));
  }

  private requeueFront(parts: PartJob[]): void {
    this.queue.splice(this.head, 0, ...parts);
    this.pump();
  }

  /** Send what can be sent now; otherwise arm one timer for when it can. */
  private pump(): void {
    if (this.pumping || this.stopping) return;
    this.pumping = true;
    try {
      while (this.head < this.queue.length) {
        const part = this.queue[this.head]!;
        if (part.job.settled) {
          this.head++;
          continue;
        }
        const now = this.deps.now();
        if (now >= part.job.s.expiresAt && !part.job.anyAccepted) {
          this.head++;
          this.settle(part.job, { outcome: 'rejected', error: 'VALIDITY_EXPIRED', detail: 'validity period ran out while waiting for the SMSC' });
          continue;
        }
        if (now < this.throttledUntil) {
          this.armPump(this.throttledUntil);
          break;
        }
        const session = this.pickSession();
        if (!session) break; // woken again by a bind coming up or an answer freeing the window
        if (this.bucket && !this.bucket.take(now)) {
          this.armPump(this.bucket.nextAt(now));
          break;
        }
        this.head++;
        part.attempts++;
        this.counters.submitted++;
        this.sentThisSecond++;
        session.submit(part.fields, part);
      }
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    } finally {
      this.pumping = false;
    }
  }

  private armPump(at: number): void {
    if (this.pumpTimer && this.pumpAt <= at) return;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpAt = at;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pumpAt = Infinity;
      this.pump();
    }, Math.max(0, at - this.deps.now()));
    this.pumpTimer.unref();
  }

  private pickSession(): SmppSession<PartJob> | undefined {
    let best: SmppSession<PartJob> | undefined;
    for (const s of this.slots) {
      const session = s.session;
      if (!session || !session.canSubmit || session.inFlight >= this.config.window) continue;
      if (!best || session.inFlight < best.inFlight) best = session;
    }
    return best;
  }

  private onSubmitAnswered(part: PartJob, resp: MessageIdRespPdu): void {
    const job = part.job;
    if (resp.status === STATUS.ESME_ROK) {
      this.counters.accepted++;
      this.throttleBackoff = 0;
      part.carrierId = resp.messageId;
      job.anyAccepted = true;
      const id = normaliseId(resp.messageId, this.config.idFormat.submit);
      if (id) this.recordPart(part, id);
      else this.deps.logger.warn({ carrier: this.config.id, messageId: job.s.messageId, carrierId: resp.messageId }, 'SMSC message id cannot be read in the configured idFormat.submit; receipts for it will not correlate');
      if (!job.settled && ++job.answered === job.parts.length) this.settleAnswered(job);
      this.pump();
      return;
    }
    const cls = classifySubmitStatus(resp.status, this.config.errors.submit);
    if (job.settled) return this.pump();
    switch (cls.kind) {
      case 'throttle': {
        this.counters.throttled++;
        const now = this.deps.now();
        // A whole window answered "throttled" is one signal, not ten: grow the pause once per pause.
        if (now >= this.throttledUntil) {
          this.throttleBackoff = this.throttleBackoff ? Math.min(THROTTLE_MAX_MS, this.throttleBackoff * 2) : THROTTLE_BASE_MS;
          this.throttledUntil = now + this.throttleBackoff;
        }
        part.attempts--; // throttling is not the part's fault
        this.requeueFront([part]);
        return;
      }
      case 'transient':
        this.counters.transient_errors++;
        if (part.attempts >= this.config.maxSubmitAttempts) {
          this.settleTransient(job, `SMSC answered ${statusName(resp.status)} ${part.attempts} times`);
          return this.pump();
        }
        this.throttledUntil = Math.max(this.throttledUntil, this.deps.now() + THROTTLE_BASE_MS);
        this.requeueFront([part]);
        return;
      case 'reject':
        this.counters.rejected++;
        job.rejected ??= { error: cls.error, detail: `SMSC answered ${statusName(resp.status)}${job.parts.length > 1 ? ` for part ${part.index} of ${job.parts.length}` : ''}` };
        this.settleAnswered(job);
        this.pump();
        return;
    }
  }

  private settleAnswered(job: MessageJob): void {
    if (job.rejected) return this.settle(job, { outcome: 'rejected', error: job.rejected.error, detail: job.rejected.detail });
    this.settle(job, { outcome: 'accepted', carrierMessageId: job.parts[0]!.carrierId ?? '', parts: job.parts.length });
  }

  private settleTransient(job: MessageJob, detail: string): void {
    this.settle(job, { outcome: 'transient', detail });
  }

  private settle(job: MessageJob, result: SubmitResult): void {
    if (job.settled) return;
    job.settled = true;
    this.jobs.delete(job);
    job.resolve(result);
  }

  /**
   * After a restart, or when this node takes the connection over from one that died: messages still
   * `sent` whose parts' receipts were recorded but whose final state was not (the process stopped
   * between the two commits) are reported now. Those still waiting for receipts need nothing: the
   * SMSC delivers receipts to whichever bind of the account is up.
   */
  recover(awaiting: readonly AwaitingReceipt[]): void {
    if (awaiting.length === 0) return;
    const ids = awaiting.map((a) => a.messageId);
    void this.deps.store.carrierParts
      .listForMessages(ids)
      .then((parts) => {
        const reports = this.decidedReports(parts);
        if (reports.length) this.sink?.report(reports);
      })
      .catch((err: unknown) => this.deps.logger.error({ err, carrier: this.config.id }, 'recovering decided SMPP messages failed'));
  }

  // ------------------------------------------------------------------ receipts

  private recordPart(part: PartJob, carrierMessageId: string): void {
    const now = this.deps.now();
    const s = part.job.s;
    const record: CarrierPartRecord = {
      carrier: this.config.id,
      carrierMessageId,
      projectId: s.projectId,
      messageId: s.messageId,
      partIndex: part.index,
      partCount: part.job.parts.length,
      status: 'sent',
      error: null,
      errorDetail: null,
      createdAt: now,
      updatedAt: now,
    };
    this.ledger.add({ kind: 'insert', part: record }).catch((err) => this.deps.logger.error({ err, carrier: this.config.id }, 'recording an SMPP part failed'));
    const waiting = this.early.get(carrierMessageId);
    if (waiting) {
      this.early.delete(carrierMessageId);
      void this.applyReceipt(waiting.outcome).catch((err) => this.deps.logger.error({ err, carrier: this.config.id }, 'recording an early receipt failed'));
    }
  }

  private async onDeliver(pdu: ShortMessagePdu | DataSmPdu): Promise<number> {
    const type = pdu.esmClass & ESM_CLASS.TYPE_MASK;
    if (type === ESM_CLASS.DELIVERY_RECEIPT || type === ESM_CLASS.INTERMEDIATE) return this.onReceipt(pdu);
    return this.onMo(pdu);
  }

  private async onReceipt(pdu: ShortMessagePdu | DataSmPdu): Promise<number> {
    this.counters.receipts++;
    const text = pdu.command === 'deliver_sm' ? pdu.shortMessage.toString('latin1') : '';
    const parsed = parseReceipt(text, pdu.tlvs);
    const id = parsed ? normaliseId(parsed.carrierId, this.config.idFormat.receipt) : null;
    if (!parsed || !id) {
      this.counters.receipts_unreadable++;
      this.deps.logger.warn({ carrier: this.config.id, text: text.slice(0, 200) }, 'unreadable delivery receipt ignored');
      return STATUS.ESME_ROK; // asking for it again would not make it readable
    }
    if (parsed.outcome === 'intermediate') {
      this.counters.receipts_intermediate++;
      return STATUS.ESME_ROK;
    }
    const mapped: ReceiptOutcome = receiptOutcome(parsed, this.config.errors.receipt);
    // Throws when the database write fails: the session then answers ESME_RX_T_APPN and the SMSC retries.
    await this.applyReceipt({ carrierMessageId: id, status: mapped.status, error: mapped.error ?? null, errorDetail: mapped.detail ?? null, at: this.deps.now() });
    return STATUS.ESME_ROK;
  }

  private async applyReceipt(outcome: CarrierPartOutcome): Promise<void> {
    const result = await this.ledger.add({ kind: 'receipt', outcome });
    if (result === 'duplicate') this.counters.receipts_duplicate++;
    if (result !== 'unknown') return;
    // Not known yet: its submit_sm_resp may still be on its way (or on another bind).
    if (this.early.size >= MAX_EARLY_RECEIPTS) {
      this.counters.receipts_orphaned++;
      return;
    }
    this.counters.receipts_early++;
    this.early.set(outcome.carrierMessageId, { outcome, expires: this.deps.now() + this.config.earlyReceiptHoldMs });
  }

  private async flushLedger(ops: LedgerOp[]): Promise<LedgerResult[]> {
    const inserts = ops.flatMap((o) => (o.kind === 'insert' ? [o.part] : []));
    const receiptIds = ops.flatMap((o) => (o.kind === 'receipt' ? [o.outcome.carrierMessageId] : []));
    const { results, reports } = await this.deps.store.transaction(async (tx) => {
      if (inserts.length) await tx.carrierParts.insertMany(inserts);
      const results: LedgerResult[] = ops.map(() => 'ok');
      if (receiptIds.length === 0) return { results, reports: [] as StatusReport[] };
      const found = new Map((await tx.carrierParts.findByCarrierIds(this.config.id, receiptIds)).map((p) => [p.carrierMessageId, p]));
      const seen = new Set<string>();
      const apply: CarrierPartOutcome[] = [];
      ops.forEach((o, i) => {
        if (o.kind !== 'receipt') return;
        const id = o.outcome.carrierMessageId;
        const part = found.get(id);
        if (!part) results[i] = 'unknown';
        else if (part.status !== 'sent' || seen.has(id)) results[i] = 'duplicate';
        else {
          seen.add(id);
          apply.push(o.outcome);
          results[i] = 'applied';
        }
      });
      const changed = apply.length ? await tx.carrierParts.applyOutcomes(this.config.id, apply) : [];
      if (changed.length === 0) return { results, reports: [] as StatusReport[] };
      // Report whenever a receipt leaves a message decided, not only the first time: a message
      // submitted twice (its first node died mid-send) may have its first part's receipt arrive
      // while it is not yet `sent` again, and only a later receipt can then complete it. The
      // engine's guarded transitions apply a repeated report once.
      const all = await tx.carrierParts.listForMessages([...new Set(changed.map((p) => p.messageId))]);
      return { results, reports: this.decidedReports(all) };
    });
    if (reports.length) this.sink?.report(reports);
    return results;
  }

  /** A report for each message that its parts (all of them, of any number of messages) leave decided. */
  private decidedReports(parts: readonly CarrierPartRecord[]): StatusReport[] {
    const byMessage = new Map<string, CarrierPartRecord[]>();
    for (const p of parts) {
      const list = byMessage.get(p.messageId);
      if (list) list.push(p);
      else byMessage.set(p.messageId, [p]);
    }
    const at = this.deps.now();
    const reports: StatusReport[] = [];
    for (const [messageId, list] of byMessage) {
      const d = decide(this.config.receiptPolicy, list);
      if (!d) continue;
      reports.push({ messageId, projectId: list[0]!.projectId, status: d.status, ...(d.error && d.error in ERRORS ? { error: d.error } : {}), ...(d.detail ? { detail: d.detail } : {}), at });
    }
    return reports;
  }

  // ------------------------------------------------------------------ mobile-originated

  private async onMo(pdu: ShortMessagePdu | DataSmPdu): Promise<number> {
    this.counters.mo_received++;
    const decoded = decodeInbound(
      { shortMessage: pdu.command === 'deliver_sm' ? pdu.shortMessage : Buffer.alloc(0), dataCoding: pdu.dataCoding, esmClass: pdu.esmClass, tlvs: pdu.tlvs },
      this.config.gsmEncoding === 'gsm7-packed',
    );
    const from = inboundAddress(pdu.source);
    const to = inboundAddress(pdu.destination);
    if (!decoded.concat) {
      await this.deliverInbound({ from, to, body: decoded.text, segments: 1 });
      return STATUS.ESME_ROK;
    }
    const { reference, total, seq } = decoded.concat;
    const key = `${from}\u0000${to}\u0000${reference}\u0000${total}`;
    let group = this.mo.get(key);
    if (!group) {
      group = { first: this.deps.now(), from, to, total, texts: new Array<string | undefined>(total).fill(undefined), received: 0 };
      this.mo.set(key, group);
    }
    if (group.texts[seq - 1] === undefined) {
      group.texts[seq - 1] = decoded.text;
      group.received++;
      this.moParts++;
    }
    if (group.received === group.total) await this.flushMoGroup(key, false);
    else if (this.moParts > MAX_MO_PARTS) {
      // Bounded memory: the oldest incomplete message goes out with what it has.
      const oldest = this.mo.keys().next().value;
      if (oldest !== undefined && oldest !== key) void this.flushMoGroup(oldest, true).catch((err) => this.deps.logger.error({ err }, 'delivering an incomplete MO failed'));
    }
    return STATUS.ESME_ROK;
  }

  private async flushMoGroup(key: string, incomplete: boolean): Promise<void> {
    const g = this.mo.get(key);
    if (!g) return;
    this.mo.delete(key);
    this.moParts -= g.received;
    if (incomplete) {
      this.counters.mo_incomplete++;
      this.deps.logger.warn({ carrier: this.config.id, from: g.from, to: g.to, received: g.received, total: g.total }, 'multipart MO incomplete; delivering the parts that came');
    }
    await this.deliverInbound({ from: g.from, to: g.to, body: g.texts.map((t) => t ?? '').join(''), segments: g.total });
  }

  private async deliverInbound(m: { from: string; to: string; body: string; segments: number }): Promise<void> {
    if (!this.sink) throw new Error('not started');
    const message: InboundMessage = { from: m.from, to: m.to, body: m.body, media: [], segments: m.segments, carrier: this.config.id, receivedAt: this.deps.now() };
    const [result] = await this.sink.inbound([message]);
    if (!result?.routed) {
      this.counters.mo_unrouted++;
      this.deps.logger.warn({ carrier: this.config.id, to: m.to }, 'MO for a number no project owns; dropped');
    }
  }

  // ------------------------------------------------------------------ housekeeping

  private onSweep(): void {
    const now = this.deps.now();
    this.sentRing.shift();
    this.sentRing.push(this.sentThisSecond);
    this.sentThisSecond = 0;
    let orphaned = 0;
    for (const [id, e] of this.early) {
      if (e.expires > now) continue;
      this.early.delete(id);
      orphaned++;
    }
    if (orphaned) {
      this.counters.receipts_orphaned += orphaned;
      this.deps.logger.warn({ carrier: this.config.id, receipts: orphaned }, 'receipts for message ids never seen in a submit_sm_resp (duplicate submissions after a dropped bind, or another client on this account)');
    }
    for (const [key, g] of this.mo) {
      if (now - g.first < this.config.moReassemblyMs) break; // insertion order = age order
      void this.flushMoGroup(key, true).catch((err) => this.deps.logger.error({ err }, 'delivering an incomplete MO failed'));
    }
  }
}

/** Our E.164 / short code / alphanumeric sender as an SMPP address (TON/NPI automatic unless configured). */
function sourceAddress(from: string, configured: SmppConnectorConfig['source']): Address {
  let ton: number;
  let npi: number;
  let addr: string;
  if (/^\+\d+$/.test(from)) [ton, npi, addr] = [1, 1, from.slice(1)];
  else if (/^\d{3,8}$/.test(from)) [ton, npi, addr] = [3, 0, from];
  else [ton, npi, addr] = [5, 0, from.slice(0, 11)];
  return { ton: configured.ton ?? ton, npi: configured.npi ?? npi, addr };
}

/** An SMPP address as we write numbers: international ones get their +. */
function inboundAddress(a: Address): string {
  const addr = a.addr.trim();
  if (a.ton === 1 && /^\d+$/.test(addr)) return `+${addr}`;
  if (/^00\d{6,}$/.test(addr)) return `+${addr.slice(2)}`;
  return addr;
}

/** SMPP absolute time (v3.4 §7.1.1) in UTC: YYMMDDhhmmsstnn+ . */
function smppAbsoluteTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}000+`;
}
