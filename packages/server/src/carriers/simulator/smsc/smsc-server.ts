/**
 * The simulator's SMSC mode: an SMPP v3.4 server that ESMEs (our own connector, Kannel, any
 * SMPP client) bind to. It checks system_id/password, answers submit_sm with message ids and
 * sends delivery receipts by the simulator's outcome rules — the same magic numbers, operator
 * rules, delays and failure codes as the built-in carrier — and it can inject mobile-originated
 * deliver_sm, throttle, answer slowly or drop its binds on command, so the connector is always
 * tested over a real socket. Receipts and MOs ride one timer heap; nothing starts a timer per PDU.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { ErrorKey } from '@switchboard/protocol';
import type { Logger } from '../../../domain/ports/logger.js';
import { TimerQueue } from '../../../util/timer-queue.js';
import { receiptErrFor, submitStatusFor } from '../../smpp/error-codes.js';
import { decodePdu, encodePdu, intTlv, stringTlv, type Address, type Pdu, type ShortMessagePdu, type Tlv } from '../../smpp/pdu/codec.js';
import { ESM_CLASS, INTERFACE_VERSION_34, MESSAGE_STATE, STATUS, TLV } from '../../smpp/pdu/constants.js';
import { PduFramer } from '../../smpp/pdu/framer.js';
import { formatReceiptText, statWord } from '../../smpp/receipt.js';
import { decodeInbound, encodeOutbound, type SplitMethod } from '../../smpp/text.js';
import { decideOutcome, type OutcomeRule, type SimulatedOutcome } from '../outcomes.js';

export interface SmscSettings {
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  /** Most simultaneous binds; further binds get ESME_RBINDFAIL. */
  readonly maxBinds: number;
  /** How message ids are written in submit_sm_resp and in receipts (real SMSCs differ: hex vs decimal). */
  readonly submitIdFormat: 'decimal' | 'hex';
  readonly receiptIdFormat: 'decimal' | 'hex';
}

/** What the simulator's rules say, read live so changes through the simulator API apply at once. */
export interface SmscRulesSource {
  getSettings(): { readonly delayMs: number; readonly delayedReceiptMs: number; readonly rules: readonly OutcomeRule[] };
}

/** Chaos switches, changed at run time through the simulator API or by tests. */
export interface SmscBehaviour {
  /** Most submit_sm per second per bind before ESME_RTHROTTLED (0: no limit). */
  readonly maxSubmitsPerSecond: number;
  /** Answer the next N submit_sm with ESME_RTHROTTLED. */
  readonly throttleNext: number;
  /** Delay every submit_sm_resp by this much (ms). */
  readonly responseDelayMs: number;
  /** Drop every bind after this many more submit_sm (the last one accepted but never answered); null: never. */
  readonly dropAfterSubmits: number | null;
  /** Refuse binds (ESME_RBINDFAIL). */
  readonly refuseBinds: boolean;
}

const DEFAULT_BEHAVIOUR: SmscBehaviour = { maxSubmitsPerSecond: 0, throttleNext: 0, responseDelayMs: 0, dropAfterSubmits: null, refuseBinds: false };

/** A message an ESME submitted, as the SMSC saw it (kept for inspection, bounded). */
export interface SmscSubmission {
  readonly id: string;
  readonly systemId: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly dataCoding: number;
  readonly concat: { reference: number; total: number; seq: number } | null;
  readonly registeredDelivery: number;
  readonly at: number;
}

interface PendingDeliver {
  readonly systemId: string;
  readonly pdu: Omit<ShortMessagePdu, 'sequence'>;
  readonly kind: 'receipt' | 'mo';
  attempts: number;
}

type Timed = { kind: 'deliver'; item: PendingDeliver } | { kind: 'resp'; conn: Connection; frame: Buffer };

const MAX_KEPT_SUBMISSIONS = 10_000;
const MAX_WAITING_DELIVERS = 100_000;
const MAX_ATTEMPT_KEYS = 10_000;
const DELIVER_RESP_TIMEOUT_MS = 10_000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** An SMPP address as a number: international ones (TON 1) get their +. */
function numberOf(a: Address): string {
  return a.ton === 1 ? `+${a.addr}` : a.addr;
}

/** One ESME connection. */
class Connection {
  mode: 'transmitter' | 'receiver' | 'transceiver' | null = null;
  systemId = '';
  sequence = 0;
  readonly framer = new PduFramer();
  readonly outstanding = new Map<number, { item: PendingDeliver; sentAt: number }>();
  /** Per-second submit count, for maxSubmitsPerSecond. */
  windowStart = 0;
  windowCount = 0;
  closed = false;

  constructor(readonly socket: Socket) {}

  get canReceive(): boolean {
    return this.mode === 'receiver' || this.mode === 'transceiver';
  }

  next(): number {
    this.sequence = this.sequence >= 0x7fffffff ? 1 : this.sequence + 1;
    return this.sequence;
  }

  send(pdu: Pdu): void {
    if (!this.closed) this.socket.write(encodePdu(pdu));
  }
}

export class SimulatorSmsc {
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly timers: TimerQueue<Timed>;
  private readonly waiting: PendingDeliver[] = [];
  private readonly attempts = new Map<string, number>();
  private readonly kept: SmscSubmission[] = [];
  private counter = 0;
  private rr = 0;
  private behaviour: SmscBehaviour = DEFAULT_BEHAVIOUR;
  private sweep: NodeJS.Timeout | undefined;
  private readonly passwordDigest: Buffer;
  private readonly systemIdDigest: Buffer;
  private boundPort = 0;
  readonly stats = { binds: 0, bindsRefused: 0, submits: 0, accepted: 0, rejected: 0, throttled: 0, receiptsSent: 0, moSent: 0, delivers_retried: 0, drops: 0, protocolErrors: 0 };

  constructor(
    private readonly settings: SmscSettings,
    private readonly deps: { readonly rules: SmscRulesSource; readonly logger: Logger; readonly now: () => number },
  ) {
    this.timers = new TimerQueue((due) => this.onTimers(due), deps.now);
    this.passwordDigest = digest(settings.password);
    this.systemIdDigest = digest(settings.systemId);
  }

  /** The port it listens on (useful when configured with 0). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.settings.maxBinds + 4;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.settings.port, this.settings.host, () => resolve());
    });
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.settings.port;
    this.server = server;
    this.sweep = setInterval(() => this.onSweep(), 1000);
    this.sweep.unref();
    this.deps.logger.info({ host: this.settings.host, port: this.boundPort }, 'simulator SMSC listening for SMPP binds');
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.timers.stop();
    for (const c of this.connections) {
      if (c.mode) c.send({ command: 'unbind', sequence: c.next(), status: 0 });
      c.closed = true;
      c.socket.end();
      setTimeout(() => c.socket.destroy(), 200).unref();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  getBehaviour(): SmscBehaviour {
    return this.behaviour;
  }

  setBehaviour(patch: Partial<SmscBehaviour>): SmscBehaviour {
    this.behaviour = { ...this.behaviour, ...patch };
    return this.behaviour;
  }

  /** Drop every bind now (no unbind): what a network failure looks like. */
  dropBinds(): number {
    const n = [...this.connections].filter((c) => c.mode).length;
    for (const c of this.connections) this.destroy(c);
    if (n) this.stats.drops++;
    return n;
  }

  /** Binds now, for the simulator API. */
  binds(): Array<{ systemId: string; mode: string; remote: string; awaitingResponses: number }> {
    return [...this.connections].filter((c) => c.mode).map((c) => ({ systemId: c.systemId, mode: c.mode!, remote: `${c.socket.remoteAddress}:${c.socket.remotePort}`, awaitingResponses: c.outstanding.size }));
  }

  /** The last submissions received, newest last. */
  submissions(): readonly SmscSubmission[] {
    return this.kept;
  }

  /** Receipts and MOs waiting for a receiver bind. */
  get undelivered(): number {
    return this.waiting.length + [...this.connections].reduce((n, c) => n + c.outstanding.size, 0);
  }

  /**
   * A handset sends a message: deliver_sm to a receiving bind of `systemId` (the configured
   * account by default), split with a UDH or SAR TLVs when long. Returns the number of parts.
   */
  injectMo(mo: { from: string; to: string; text: string; split?: SplitMethod; systemId?: string; /** Part numbers (1-based) to lose on the way. */ loseParts?: readonly number[] }): number {
    const parts = encodeOutbound(mo.text, { gsmEncoding: 'gsm7', split: mo.split ?? 'udh8' }, Math.floor(Math.random() * 65536));
    for (const [i, p] of parts.entries()) {
      if (mo.loseParts?.includes(i + 1)) continue;
      this.queueDeliver({
        systemId: mo.systemId ?? this.settings.systemId,
        kind: 'mo',
        attempts: 0,
        pdu: this.deliverPdu(mo.from, mo.to, p.esmClassBits, p.dataCoding, p.shortMessage, p.tlvs),
      });
    }
    this.stats.moSent += parts.length;
    return parts.length;
  }

  private deliverPdu(from: string, to: string, esmClass: number, dataCoding: number, shortMessage: Buffer, tlvs: readonly Tlv[]): Omit<ShortMessagePdu, 'sequence'> {
    const addr = (n: string) => (n.startsWith('+') ? { ton: 1, npi: 1, addr: n.slice(1) } : { ton: /^\d+$/.test(n) ? 3 : 5, npi: 0, addr: n });
    return {
      command: 'deliver_sm',
      status: 0,
      serviceType: '',
      source: addr(from),
      destination: addr(to),
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

  // ------------------------------------------------------------------ connections

  private accept(socket: Socket): void {
    const c = new Connection(socket);
    this.connections.add(c);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const out = c.framer.push(chunk);
      for (const f of out.frames) this.onFrame(c, f);
      if (out.error) {
        this.stats.protocolErrors++;
        this.destroy(c);
      }
    });
    socket.on('error', () => this.destroy(c));
    socket.on('close', () => this.destroy(c));
  }

  private destroy(c: Connection): void {
    if (!this.connections.delete(c)) return;
    c.closed = true;
    c.socket.destroy();
    // Receipts and MOs the ESME never acknowledged go out again on its next bind.
    for (const { item } of c.outstanding.values()) this.requeue(item);
    c.outstanding.clear();
  }

  private onFrame(c: Connection, frame: Buffer): void {
    if (c.closed) return;
    const decoded = decodePdu(frame);
    if (!decoded.ok) {
      this.stats.protocolErrors++;
      c.send({ command: 'generic_nack', sequence: decoded.sequence ?? 0, status: decoded.status });
      return;
    }
    const pdu = decoded.pdu;
    switch (pdu.command) {
      case 'bind_transmitter':
      case 'bind_receiver':
      case 'bind_transceiver': {
        const resp = `${pdu.command}_resp` as const;
        const refuse = (status: number) => {
          this.stats.bindsRefused++;
          c.send({ command: resp, sequence: pdu.sequence, status, systemId: '', tlvs: [] });
        };
        if (c.mode) return refuse(STATUS.ESME_RALYBND);
        const idOk = timingSafeEqual(digest(pdu.systemId), this.systemIdDigest);
        const pwOk = timingSafeEqual(digest(pdu.password), this.passwordDigest);
        if (!idOk) return refuse(STATUS.ESME_RINVSYSID);
        if (!pwOk) return refuse(STATUS.ESME_RINVPASWD);
        if (this.behaviour.refuseBinds || [...this.connections].filter((x) => x.mode).length >= this.settings.maxBinds) return refuse(STATUS.ESME_RBINDFAIL);
        c.mode = pdu.command === 'bind_transmitter' ? 'transmitter' : pdu.command === 'bind_receiver' ? 'receiver' : 'transceiver';
        c.systemId = pdu.systemId;
        this.stats.binds++;
        c.send({ command: resp, sequence: pdu.sequence, status: 0, systemId: 'SWITCHBOARD', tlvs: [intTlv(TLV.sc_interface_version, INTERFACE_VERSION_34, 1)] });
        if (c.canReceive) this.flushWaiting();
        return;
      }
      case 'enquire_link':
        return c.send({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      case 'unbind':
        c.send({ command: 'unbind_resp', sequence: pdu.sequence, status: 0 });
        c.socket.end();
        setImmediate(() => this.destroy(c));
        return;
      case 'submit_sm':
        return this.onSubmit(c, pdu);
      case 'data_sm':
        return c.send({ command: 'data_sm_resp', sequence: pdu.sequence, status: c.mode ? STATUS.ESME_RSYSERR : STATUS.ESME_RINVBNDSTS, messageId: '', tlvs: [] });
      case 'query_sm':
        return c.send({ command: 'query_sm_resp', sequence: pdu.sequence, status: STATUS.ESME_RQUERYFAIL, messageId: '', finalDate: '', messageState: 0, errorCode: 0 });
      case 'deliver_sm_resp':
      case 'generic_nack': {
        const o = c.outstanding.get(pdu.sequence);
        if (!o) return;
        c.outstanding.delete(pdu.sequence);
        if (pdu.status !== 0) this.requeue(o.item);
        return;
      }
      default:
        if (pdu.command.endsWith('_resp')) return; // answers to nothing we asked
        c.send({ command: 'generic_nack', sequence: pdu.sequence, status: STATUS.ESME_RINVCMDID });
    }
  }

  private onSubmit(c: Connection, pdu: ShortMessagePdu): void {
    const answer = (status: number, messageId = '') => {
      const frame = encodePdu({ command: 'submit_sm_resp', sequence: pdu.sequence, status, messageId, tlvs: [] });
      if (this.behaviour.responseDelayMs > 0) this.timers.schedule(this.deps.now() + this.behaviour.responseDelayMs, { kind: 'resp', conn: c, frame });
      else if (!c.closed) c.socket.write(frame);
    };
    if (c.mode !== 'transmitter' && c.mode !== 'transceiver') return answer(STATUS.ESME_RINVBNDSTS);
    this.stats.submits++;
    const now = this.deps.now();
    const b = this.behaviour;
    if (b.throttleNext > 0) {
      this.behaviour = { ...b, throttleNext: b.throttleNext - 1 };
      this.stats.throttled++;
      return answer(STATUS.ESME_RTHROTTLED);
    }
    if (b.maxSubmitsPerSecond > 0) {
      if (now - c.windowStart >= 1000) {
        c.windowStart = now;
        c.windowCount = 0;
      }
      if (++c.windowCount > b.maxSubmitsPerSecond) {
        this.stats.throttled++;
        return answer(STATUS.ESME_RTHROTTLED);
      }
    }
    const to = numberOf(pdu.destination);
    const from = numberOf(pdu.source);
    const sim = this.deps.rules.getSettings();
    const outcome = decideOutcome(to, sim.rules);
    const decoded = decodeInbound(pdu, false);
    if (outcome.kind === 'failed') {
      this.stats.rejected++;
      return answer(submitStatusFor(outcome.error));
    }
    if (outcome.kind === 'throttled' || outcome.kind === 'transient') {
      // "The first N attempts": counted per destination and text, as the SMSC sees resubmissions.
      const key = `${to}\u0000${decoded.text}\u0000${decoded.concat?.seq ?? 0}`;
      const n = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, n);
      if (this.attempts.size > MAX_ATTEMPT_KEYS) this.attempts.delete(this.attempts.keys().next().value!);
      if (n <= outcome.times) {
        if (outcome.kind === 'throttled') this.stats.throttled++;
        return answer(outcome.kind === 'throttled' ? STATUS.ESME_RTHROTTLED : STATUS.ESME_RSYSERR);
      }
    }
    const seq = ++this.counter;
    const id = this.formatId(seq, this.settings.submitIdFormat);
    this.stats.accepted++;
    this.keep({ id, systemId: c.systemId, from, to, text: decoded.text, dataCoding: pdu.dataCoding, concat: decoded.concat ?? null, registeredDelivery: pdu.registeredDelivery, at: now });
    this.scheduleReceipt(c.systemId, seq, pdu, outcome, sim, decoded.text, now);
    if (b.dropAfterSubmits !== null) {
      if (b.dropAfterSubmits <= 1) {
        // Accepted, receipt on its way, but the answer never leaves: the classic duplicate maker.
        this.behaviour = { ...this.behaviour, dropAfterSubmits: null };
        this.dropBinds();
        return;
      }
      this.behaviour = { ...this.behaviour, dropAfterSubmits: b.dropAfterSubmits - 1 };
    }
    answer(STATUS.ESME_ROK, id);
  }

  private formatId(n: number, format: 'decimal' | 'hex'): string {
    return format === 'hex' ? n.toString(16).toUpperCase() : String(n);
  }

  private keep(s: SmscSubmission): void {
    this.kept.push(s);
    if (this.kept.length > MAX_KEPT_SUBMISSIONS) this.kept.splice(0, this.kept.length - MAX_KEPT_SUBMISSIONS);
  }

  private scheduleReceipt(systemId: string, seq: number, pdu: ShortMessagePdu, outcome: SimulatedOutcome, sim: ReturnType<SmscRulesSource['getSettings']>, text: string, now: number): void {
    const wanted = pdu.registeredDelivery & 0x03;
    if (wanted === 0 || outcome.kind === 'no_receipt') return;
    const failed = outcome.kind === 'undelivered';
    if (wanted === 2 && !failed) return;
    const error: ErrorKey | null = failed ? outcome.error : null;
    const state = failed ? MESSAGE_STATE.UNDELIVERABLE : MESSAGE_STATE.DELIVERED;
    const stat = statWord(state);
    const err = error ? receiptErrFor(error) : '000';
    const delay = outcome.kind === 'delivered' && outcome.receipt === 'delayed' ? sim.delayedReceiptMs : sim.delayMs;
    const receiptId = this.formatId(seq, this.settings.receiptIdFormat);
    const body = formatReceiptText({ id: receiptId, submitted: new Date(now), done: new Date(now + delay), stat, err, text, delivered: !failed });
    const tlvs: Tlv[] = [stringTlv(TLV.receipted_message_id, receiptId), intTlv(TLV.message_state, state, 1)];
    if (error) tlvs.push({ tag: TLV.network_error_code, value: Buffer.from([3, 0, Number(err)]) });
    // The receipt goes from the handset (the original destination) to the sender.
    const receipt = this.deliverPdu(numberOf(pdu.destination), numberOf(pdu.source), ESM_CLASS.DELIVERY_RECEIPT, 0, Buffer.from(body, 'latin1'), tlvs);
    this.timers.schedule(now + delay, { kind: 'deliver', item: { systemId, kind: 'receipt', attempts: 0, pdu: receipt } });
  }

  // ------------------------------------------------------------------ delivering receipts and MOs

  private onTimers(due: Timed[]): void {
    for (const t of due) {
      if (t.kind === 'resp') {
        if (!t.conn.closed) t.conn.socket.write(t.frame);
      } else this.queueDeliver(t.item);
    }
  }

  private queueDeliver(item: PendingDeliver): void {
    const target = this.receiverFor(item.systemId);
    if (!target) {
      if (this.waiting.length < MAX_WAITING_DELIVERS) this.waiting.push(item);
      return;
    }
    const sequence = target.next();
    target.outstanding.set(sequence, { item, sentAt: this.deps.now() });
    target.send({ ...item.pdu, sequence } as Pdu);
    if (item.kind === 'receipt' && item.attempts === 0) this.stats.receiptsSent++;
  }

  private receiverFor(systemId: string): Connection | undefined {
    const candidates = [...this.connections].filter((c) => c.canReceive && c.systemId === systemId && !c.closed);
    if (candidates.length === 0) return undefined;
    return candidates[this.rr++ % candidates.length];
  }

  private requeue(item: PendingDeliver): void {
    item.attempts++;
    this.stats.delivers_retried++;
    if (item.attempts > 5) {
      this.deps.logger.warn({ kind: item.kind }, 'simulator SMSC gave up a deliver_sm after 5 attempts');
      return;
    }
    this.timers.schedule(this.deps.now() + 100 * item.attempts, { kind: 'deliver', item });
  }

  private flushWaiting(): void {
    const items = this.waiting.splice(0, this.waiting.length);
    for (const item of items) this.queueDeliver(item);
  }

  private onSweep(): void {
    const now = this.deps.now();
    for (const c of this.connections) {
      for (const [seq, o] of c.outstanding) {
        if (now - o.sentAt < DELIVER_RESP_TIMEOUT_MS) break;
        c.outstanding.delete(seq);
        this.requeue(o.item);
      }
    }
  }
}
