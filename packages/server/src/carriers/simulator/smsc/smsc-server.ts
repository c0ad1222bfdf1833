/**
 * The simulator's SMSC mode: an SMPP v3.4 server that ESMEs (our own connector, Kannel, any
 * SMPP client) bind to. It checks system_id/password, answers submit_sm with message ids and
 * sends delivery receipts by the simulator's outcome rules — the same magic numbers, operator
 * rules, delays and failure codes as the built-in carrier — and it can inject mobile-originated
 * deliver_sm, throttle, answer slowly or drop its binds on command, so the connector is always
 * tested over a real socket. Receipts, MOs and slow answers ride timer heaps; nothing starts a
 * timer per PDU.
 *
 * This file listens and holds the binds; `smsc-connection.ts` handles one ESME's PDUs,
 * `deliveries.ts` sends deliver_sm to receiving binds, `receipts.ts` writes the receipts,
 * `owed-receipts.ts` keeps those not yet acknowledged across restarts (given a repository) and
 * `bind-throttle.ts` counts failed binds per client address.
 */
import { systemClock, type Clock } from '../../../domain/clock.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../domain/ports/logger.js';
import type { SmscReceiptRepository } from '../../../domain/ports/store.js';
import type { MoInjection, SimulatorTuning, SmscBehaviour, SmscBind, SmscControl, SmscStats, SmscSubmission } from '../../../domain/ports/simulator.js';
import { decideOutcome } from '../../../domain/simulator/outcomes.js';
import { receiptDelay } from '../../../domain/simulator/tuning.js';
import type { FailureBudget } from '../../../util/failure-limiter.js';
import { TimerQueue } from '../../../util/timer-queue.js';
import { submitStatusFor } from '../../smpp/error-codes.js';
import { encodePdu, findTlv, type BindPdu, type ShortMessagePdu } from '../../smpp/pdu/codec.js';
import { STATUS, TLV } from '../../smpp/pdu/constants.js';
import { decodeInbound, encodeOutbound } from '../../smpp/text.js';
import { numberOf } from './addresses.js';
import { BIND_FAILURE_DELAY_MS, BIND_FAILURES, BindThrottle } from './bind-throttle.js';
import { DeliverQueue, deliverSm, type PendingDeliver } from './deliveries.js';
import { OwedReceipts } from './owed-receipts.js';
import { AcceptedMessages } from './queries.js';
import { receiptFor } from './receipts.js';
import { BIND_DEADLINE_MS, IDLE_TIMEOUT_MS, SmscConnection, type BindAnswer, type ConnectionHost } from './smsc-connection.js';
import { isSmppTime } from './times.js';
import { submitFieldsStatus } from './submit-fields.js';

export type { SmscBehaviour, SmscSubmission } from '../../../domain/ports/simulator.js';

/** How the SMSC listens and whom it admits (fixed at start). */
export interface SmscSettings {
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  /** Most simultaneous binds, one client address at most `bindsPerAddress(maxBinds)`; further binds get ESME_RBINDFAIL. */
  readonly maxBinds: number;
  /** How message ids are written in submit_sm_resp and in receipts (real SMSCs differ: hex vs decimal). */
  readonly submitIdFormat: 'decimal' | 'hex';
  readonly receiptIdFormat: 'decimal' | 'hex';
  /** How long a connection may stay unbound, and silent either way (defaults in `smsc-connection.ts`; tests shorten them). */
  readonly bindDeadlineMs?: number;
  readonly idleTimeoutMs?: number;
  /** Failed binds (wrong system_id or password) per client address before its binds are refused; default `BIND_FAILURES`. */
  readonly bindFailures?: FailureBudget;
  /** How long the answer to a failed bind is held back (default in `bind-throttle.ts`; tests shorten it). */
  readonly bindFailureDelayMs?: number;
}

/** What the simulator's rules say, read live so changes through the simulator API apply at once. */
export interface SmscRulesSource {
  getSettings(): Pick<SimulatorTuning, 'delayMs' | 'delayedReceiptMs' | 'rules'>;
}

const DEFAULT_BEHAVIOUR: SmscBehaviour = { maxSubmitsPerSecond: 0, throttleNext: 0, responseDelayMs: 0, dropAfterSubmits: null, refuseBinds: false };

/** Ids a run may give per ms since its start before it reaches those of a run started that much later (100,000 a second). */
const ID_BLOCK = 100;
const MAX_KEPT_SUBMISSIONS = 10_000;
const MAX_ATTEMPT_KEYS = 10_000;
const DELIVER_RESP_TIMEOUT_MS = 10_000;
const ADMITTED: BindAnswer = { status: STATUS.ESME_ROK, delayMs: 0, close: false };
const NO_SLOT: BindAnswer = { status: STATUS.ESME_RBINDFAIL, delayMs: 0, close: false };
/** A locked-out address learns nothing about its credentials: the generic "Bind Failed", and the connection closed. */
const LOCKED_OUT: BindAnswer = { status: STATUS.ESME_RBINDFAIL, delayMs: 0, close: true };

/**
 * Binds held back from any one client address, so a client binding as many transceivers as it can
 * (with the default credentials, which every tester shares) leaves other addresses room.
 */
export const BINDS_RESERVED_FOR_OTHERS = 2;

/**
 * Most binds one client address may hold: `maxBinds - BINDS_RESERVED_FOR_OTHERS`, never below half
 * of `maxBinds` (and at least 1). Loopback clients share 127.0.0.1 and so its share; a client from
 * any other address still gets a bind when one address holds all it may.
 */
export function bindsPerAddress(maxBinds: number): number {
  return Math.max(Math.ceil(maxBinds / 2), maxBinds - BINDS_RESERVED_FOR_OTHERS);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function formatId(n: number, format: 'decimal' | 'hex'): string {
  return format === 'hex' ? n.toString(16).toUpperCase() : String(n);
}

/** The simulator's SMPP server; the simulator API steers it through `SmscControl`. */
export class SimulatorSmsc implements SmscControl {
  private server: Server | undefined;
  private readonly connections = new Set<SmscConnection>();
  private readonly deliveries: DeliverQueue;
  /** submit_sm_resp held back by `responseDelayMs`. */
  private readonly lateAnswers: TimerQueue<{ conn: SmscConnection; frame: Buffer }>;
  /** Answers to failed binds, at most one per connection, held back on wall time (a manual clock must not leave a bind unanswered). */
  private readonly heldBindAnswers = new TimerQueue<() => void>((due) => due.forEach((fn) => fn()), systemClock);
  private readonly bindThrottle: BindThrottle;
  private readonly attempts = new Map<string, number>();
  private readonly kept: SmscSubmission[] = [];
  /** What it accepted, to answer query_sm. */
  private readonly accepted: AcceptedMessages;
  /** The receipts owed, in the database (none without a repository: they die with the process). */
  private readonly owed: OwedReceipts | null;
  /**
   * The last message number given. It starts from the wall clock (ms × ID_BLOCK), not 0: ids are
   * unique across restarts, as a real SMSC's are. From 1 at every start, the ids after a restart
   * were those of the messages before it, whose part records (`carrier_parts`, keyed by carrier
   * and id) the ESME's new ones then took over: a message still `sent` at a kill -9 lost its parts,
   * and its query_sm was answered with the state of whichever new message had its id.
   */
  private counter = Date.now() * ID_BLOCK;
  private behaviour: SmscBehaviour = DEFAULT_BEHAVIOUR;
  private sweep: NodeJS.Timeout | undefined;
  private readonly passwordDigest: Buffer;
  private readonly systemIdDigest: Buffer;
  private boundPort = 0;
  readonly stats: SmscStats = { binds: 0, bindsRefused: 0, submits: 0, accepted: 0, rejected: 0, throttled: 0, receiptsSent: 0, moSent: 0, delivers_retried: 0, drops: 0, protocolErrors: 0 };
  private readonly host: ConnectionHost = {
    stats: this.stats,
    authorise: (pdu, address) => this.authorise(pdu, address),
    later: (ms, fn) => this.heldBindAnswers.schedule(systemClock.now() + ms, fn),
    bound: (c) => {
      if (c.canReceive) this.deliveries.flushWaiting(c.systemId);
    },
    submit: (c, pdu) => this.onSubmit(c, pdu),
    query: (c, pdu) => c.send(this.accepted.answer(pdu, this.deps.now())),
    delivered: (item) => this.settled(item),
    redeliver: (item) => this.deliveries.retry(item),
    room: (c) => this.deliveries.flushWaiting(c.systemId),
    closed: (c) => this.connections.delete(c),
  };

  constructor(
    private readonly settings: SmscSettings,
    /** `clock`, when given, times the late answers and redeliveries (a manual clock moves them). */
    /** `receipts`, when given, keeps the receipts owed across restarts (`owed-receipts.ts`). */
    private readonly deps: { readonly rules: SmscRulesSource; readonly logger: Logger; readonly now: () => number; readonly clock?: Clock; readonly receipts?: SmscReceiptRepository },
  ) {
    this.deliveries = new DeliverQueue({
      receivers: (systemId) => [...this.connections].filter((c) => c.hasDeliverRoom && c.systemId === systemId),
      stats: this.stats,
      logger: deps.logger,
      now: deps.now,
      clock: deps.clock,
      gaveUp: (item) => this.settled(item),
    });
    // Its configured address names it: a restart (on an ephemeral port too) finds its receipts again.
    this.owed = deps.receipts ? new OwedReceipts(deps.receipts, `${settings.host}:${settings.port}`, deps) : null;
    this.lateAnswers = new TimerQueue((due) => due.forEach((a) => a.conn.write(a.frame)), deps.clock ?? deps.now);
    this.accepted = new AcceptedMessages(settings.submitIdFormat);
    this.passwordDigest = digest(settings.password);
    this.systemIdDigest = digest(settings.systemId);
    this.bindThrottle = new BindThrottle({
      budget: settings.bindFailures ?? BIND_FAILURES,
      now: deps.now,
      onLocked: (address, retryAfterMs) =>
        deps.logger.warn({ address, retryAfterMs }, 'failed SMPP binds limited for this client address: its binds get ESME_RBINDFAIL and are closed, credentials unchecked, until a failure is forgiven'),
    });
  }

  /** The port it listens on (useful when configured with 0). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    await this.rearm();
    // No server.maxConnections: it refuses the newcomer, so sockets that never bind kept every ESME
    // out (see `makeRoom`, which bounds the connections instead).
    const server = createServer((socket) => this.accept(socket));
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
    this.deliveries.stop();
    this.lateAnswers.stop();
    this.heldBindAnswers.stop();
    for (const c of this.connections) c.shutdown();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.owed?.drain().catch(() => undefined);
  }

  /**
   * The receipts owed from before a restart go out again, at their time (or now, if it passed) to
   * the first receiving bind of their account, and `query_sm` answers for their messages.
   */
  private async rearm(): Promise<void> {
    if (!this.owed) return;
    let n = 0;
    try {
      for await (const page of this.owed.load()) {
        const now = this.deps.now();
        for (const r of page) {
          this.accepted.remember(r.seq, r.sourceAddr, r.outcome, r.dueAt);
          this.deliveries.schedule(Math.max(now, r.dueAt), { systemId: r.systemId, kind: 'receipt', seq: r.seq, attempts: 0, pdu: r.pdu });
        }
        n += page.length;
      }
    } catch (err) {
      this.deps.logger.error({ err, receipts: n }, 'reading the receipts the simulator SMSC owes failed; those not read are not sent');
    }
    if (n) this.deps.logger.info({ receipts: n }, 'simulator SMSC re-armed the receipts it owed before its restart');
  }

  /** A receipt acknowledged or given up is owed no more. */
  private settled(item: PendingDeliver): void {
    if (item.seq !== undefined) this.owed?.settled(item.seq);
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
    const n = this.boundConnections().length;
    for (const c of this.connections) c.destroy();
    if (n) this.stats.drops++;
    return n;
  }

  /** Binds now, for the simulator API. */
  binds(): SmscBind[] {
    return this.boundConnections().map((c) => ({ systemId: c.systemId, mode: c.mode!, remote: `${c.socket.remoteAddress}:${c.socket.remotePort}`, awaitingResponses: c.awaitingResponses }));
  }

  /** The last submissions received, newest last. */
  submissions(): readonly SmscSubmission[] {
    return this.kept;
  }

  /** Receipts and MOs waiting for a receiver bind. */
  get undelivered(): number {
    return this.deliveries.waitingCount + [...this.connections].reduce((n, c) => n + c.awaitingResponses, 0);
  }

  /**
   * A handset sends a message: deliver_sm to a receiving bind of `systemId` (the configured
   * account by default), split with a UDH or SAR TLVs when long. Returns the number of parts.
   */
  injectMo(mo: MoInjection): number {
    const parts = encodeOutbound(mo.text, { gsmEncoding: 'gsm7', split: mo.split ?? 'udh8' }, Math.floor(Math.random() * 65536));
    for (const [i, p] of parts.entries()) {
      if (mo.loseParts?.includes(i + 1)) continue;
      this.deliveries.send({
        systemId: mo.systemId ?? this.settings.systemId,
        kind: 'mo',
        attempts: 0,
        pdu: deliverSm(mo.from, mo.to, p.esmClassBits, p.dataCoding, p.shortMessage, p.tlvs, mo.fromTon),
      });
    }
    this.stats.moSent += parts.length;
    return parts.length;
  }

  private boundConnections(): SmscConnection[] {
    return [...this.connections].filter((c) => c.mode);
  }

  private accept(socket: Socket): void {
    this.makeRoom();
    this.connections.add(new SmscConnection(socket, this.host, { bindMs: this.settings.bindDeadlineMs ?? BIND_DEADLINE_MS, idleMs: this.settings.idleTimeoutMs ?? IDLE_TIMEOUT_MS }));
  }

  /**
   * At most `maxBinds + 4` connections wait unbound (binds are capped at `maxBinds` by `authorise`).
   * When that many wait, a newcomer is still admitted: the oldest unbound connection of the client
   * address holding the most unbound ones is closed for it. Refusing the newcomer instead (what
   * `server.maxConnections` did) let twenty sockets that never bind keep every ESME out for the bind
   * deadline, and for good by reconnecting; now they only push each other out, and an ESME that
   * binds within a round trip gets in.
   */
  private makeRoom(): void {
    const byAddress = new Map<string, SmscConnection[]>();
    let unbound = 0;
    for (const c of this.connections) {
      if (c.mode || c.closed) continue;
      unbound++;
      const list = byAddress.get(c.address);
      if (list) list.push(c);
      else byAddress.set(c.address, [c]);
    }
    if (unbound < this.settings.maxBinds + 4) return;
    let victims: SmscConnection[] = [];
    for (const list of byAddress.values()) if (list.length > victims.length) victims = list;
    // Set order is arrival order: the first is the oldest.
    victims[0]?.destroy();
  }

  private authorise(pdu: BindPdu, address: string): BindAnswer {
    if (this.bindThrottle.lockedFor(address) > 0) return LOCKED_OUT;
    const idOk = timingSafeEqual(digest(pdu.systemId), this.systemIdDigest);
    const pwOk = timingSafeEqual(digest(pdu.password), this.passwordDigest);
    if (!idOk || !pwOk) {
      this.bindThrottle.failed(address);
      return { status: idOk ? STATUS.ESME_RINVPASWD : STATUS.ESME_RINVSYSID, delayMs: this.settings.bindFailureDelayMs ?? BIND_FAILURE_DELAY_MS, close: false };
    }
    if (this.behaviour.refuseBinds) return NO_SLOT;
    // Binds being closed (unbound, dropped) hold no slot: theirs is free as soon as they end.
    const live = this.boundConnections().filter((c) => !c.closed);
    if (live.length >= this.settings.maxBinds) return NO_SLOT;
    if (live.filter((c) => c.address === address).length >= bindsPerAddress(this.settings.maxBinds)) return NO_SLOT;
    return ADMITTED;
  }

  private onSubmit(c: SmscConnection, pdu: ShortMessagePdu): void {
    const answer = (status: number, messageId = '') => {
      const frame = encodePdu({ command: 'submit_sm_resp', sequence: pdu.sequence, status, messageId, tlvs: [] });
      if (this.behaviour.responseDelayMs > 0) this.lateAnswers.schedule(this.deps.now() + this.behaviour.responseDelayMs, { conn: c, frame });
      else c.write(frame);
    };
    if (c.mode !== 'transmitter' && c.mode !== 'transceiver') return answer(STATUS.ESME_RINVBNDSTS);
    this.stats.submits++;
    // destination_addr is mandatory (v3.4 §4.4.1; source_addr may be NULL): an SMSC refuses a
    // submit without one, where accepting it hid the ESME's bug behind a receipt to nobody.
    if (pdu.destination.addr === '') {
      this.stats.rejected++;
      return answer(STATUS.ESME_RINVDSTADR);
    }
    // Reserved values of its one-octet fields, refused as an SMSC refuses them (submit-fields.ts).
    const fields = submitFieldsStatus(pdu);
    if (fields !== null) {
      this.stats.rejected++;
      return answer(fields);
    }
    // Times it cannot read (v3.4 §7.1.1) are refused as an SMSC refuses them, so an ESME's
    // malformed validity or schedule does not pass here to fail at a carrier.
    if (!isSmppTime(pdu.scheduleDeliveryTime) || !isSmppTime(pdu.validityPeriod)) {
      this.stats.rejected++;
      return answer(isSmppTime(pdu.scheduleDeliveryTime) ? STATUS.ESME_RINVEXPIRY : STATUS.ESME_RINVSCHED);
    }
    // The text travels in short_message or in message_payload, never both (SMPP v3.4 §5.3.2.32;
    // sm_length must then be 0). Which one a carrier would show is anyone's guess, so the submit is
    // refused, with the status for a bad message length, rather than one of the two picked.
    if (pdu.shortMessage.length > 0 && findTlv(pdu.tlvs, TLV.message_payload) !== undefined) {
      this.stats.rejected++;
      return answer(STATUS.ESME_RINVMSGLEN);
    }
    const now = this.deps.now();
    const b = this.behaviour;
    if (b.throttleNext > 0) {
      this.behaviour = { ...b, throttleNext: b.throttleNext - 1 };
      this.stats.throttled++;
      return answer(STATUS.ESME_RTHROTTLED);
    }
    if (b.maxSubmitsPerSecond > 0 && c.overRate(b.maxSubmitsPerSecond, now)) {
      this.stats.throttled++;
      return answer(STATUS.ESME_RTHROTTLED);
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
    const id = formatId(seq, this.settings.submitIdFormat);
    const doneAt = now + receiptDelay(outcome, sim);
    const receipt = receiptFor({ pdu, receiptId: formatId(seq, this.settings.receiptIdFormat), text: decoded.text, acceptedAt: now }, outcome, sim);
    const accept = () => {
      this.stats.accepted++;
      this.keep({ id, systemId: c.systemId, from, to, text: decoded.text, dataCoding: pdu.dataCoding, concat: decoded.concat ?? null, registeredDelivery: pdu.registeredDelivery, at: now });
      this.accepted.remember(seq, pdu.source.addr, outcome, doneAt);
      if (receipt) this.deliveries.schedule(receipt.at, { systemId: c.systemId, kind: 'receipt', seq, attempts: 0, pdu: receipt.pdu });
      const d = this.behaviour.dropAfterSubmits;
      if (d !== null) {
        if (d <= 1) {
          // Accepted, receipt on its way, but the answer never leaves: the classic duplicate maker.
          this.behaviour = { ...this.behaviour, dropAfterSubmits: null };
          this.dropBinds();
          return;
        }
        this.behaviour = { ...this.behaviour, dropAfterSubmits: d - 1 };
      }
      answer(STATUS.ESME_ROK, id);
    };
    if (!receipt || !this.owed) return accept();
    // As a real SMSC: the receipt it owes is on disk before the message is acknowledged.
    this.owed.record({ seq, systemId: c.systemId, sourceAddr: pdu.source.addr, outcome, dueAt: doneAt, pdu: receipt.pdu }).then(accept, (err: unknown) => {
      this.stats.rejected++;
      this.deps.logger.warn({ err }, 'the simulator SMSC could not store a receipt it would owe; the submit_sm is answered ESME_RSYSERR (the ESME tries again)');
      answer(STATUS.ESME_RSYSERR);
    });
  }

  private keep(s: SmscSubmission): void {
    this.kept.push(s);
    if (this.kept.length > MAX_KEPT_SUBMISSIONS) this.kept.splice(0, this.kept.length - MAX_KEPT_SUBMISSIONS);
  }

  private onSweep(): void {
    const now = this.deps.now();
    for (const c of this.connections) for (const item of c.takeOverdue(now, DELIVER_RESP_TIMEOUT_MS)) this.deliveries.retry(item);
    // Overdue deliver_sm taken back left window space.
    this.deliveries.flushWaiting();
  }
}
