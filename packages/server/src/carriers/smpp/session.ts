/**
 * One SMPP bind from our side (ESME): connect (TCP or TLS), bind, then submit, answer the SMSC's
 * requests (deliver_sm, enquire_link, unbind), keep the link alive with enquire_link, and close
 * cleanly. Requests in flight are tracked by sequence number; one sweep timer per session checks
 * response timeouts and idle time — never one timer per PDU. When the link ends, whatever was not
 * answered is handed back to the owner (the connector re-sends it on another or a new bind).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { decodePdu, encodePdu, EncodeError, refusalOf, type Address, type DataSmPdu, type MessageIdRespPdu, type Pdu, type ShortMessagePdu } from './pdu/codec.js';
import { COMMAND_IDS, INTERFACE_VERSION_34, STATUS, statusName, type CommandName } from './pdu/constants.js';
import { PduFramer } from './pdu/framer.js';

/** The requests an ESME takes (a bind, submit_sm or query_sm from an SMSC gets generic_nack ESME_RINVCMDID). */
const ESME_TAKES: ReadonlySet<CommandName> = new Set(['deliver_sm', 'data_sm', 'enquire_link', 'unbind']);

/** How a bind is made. */
export type BindMode = 'transceiver' | 'transmitter' | 'receiver';

export interface SessionOptions {
  readonly host: string;
  readonly port: number;
  /** TLS options, or null for plain TCP. */
  readonly tls: ConnectionOptions | null;
  readonly mode: BindMode;
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly addrTon: number;
  readonly addrNpi: number;
  readonly addressRange: string;
  /** Send enquire_link after this much silence from the SMSC (ms). */
  readonly enquireLinkMs: number;
  /** A request unanswered for this long ends the bind (ms). */
  readonly responseTimeoutMs: number;
  /** Connecting plus binding must finish within this (ms). */
  readonly connectTimeoutMs: number;
}

/** The submit_sm fields a caller provides (the session adds sequence and status). */
export type SubmitFields = Omit<ShortMessagePdu, 'command' | 'sequence' | 'status'>;

/** What the session tells its owner. */
export interface SessionHandlers<T> {
  /** A submit_sm was answered (any status). */
  submitAnswered(session: SmppSession<T>, token: T, resp: MessageIdRespPdu): void;
  /** A deliver_sm or data_sm arrived; resolve with the command_status to answer (0 = accepted). */
  deliver(session: SmppSession<T>, pdu: ShortMessagePdu | DataSmPdu): Promise<number>;
  /** The link ended; `unanswered` are the submits that got no answer, in send order. */
  closed(session: SmppSession<T>, reason: string, unanswered: T[]): void;
  /** A peer sent something we could not read (answered with generic_nack), or an answer no request awaits; logged and counted. */
  protocolError?(session: SmppSession<T>, reason: string): void;
  /**
   * The link ended with these deliver_sm/data_sm still being handled: whatever they come to, their
   * answers are lost, and the SMSC sends them again (on this account's next bind).
   */
  answersLost?(session: SmppSession<T>, pdus: Array<ShortMessagePdu | DataSmPdu>): void;
  /** What we write backed up past `WRITE_HIGH_WATER` (the SMSC does not read): reading stops until it drains. */
  backedUp?(session: SmppSession<T>, unsentOctets: number): void;
}

type SessionState = 'idle' | 'connecting' | 'bound' | 'unbinding' | 'closed';

interface Outstanding<T> {
  readonly command: Pdu['command'];
  readonly sentAt: number;
  readonly token: T | null;
  readonly resolve?: (pdu: Pdu) => void;
}

/**
 * Most deliver_sm/data_sm awaiting their answer (the database write behind a receipt or an MO);
 * past it they are answered ESME_RX_T_APPN at once, which tells the SMSC to send them again later
 * (what Kannel answers when its queue is full: `smscconn_failure_reason_to_smpp_status`). An SMSC
 * keeps a window of its own; one that does not would otherwise have us hold all it sends in memory.
 */
export const MAX_PENDING_DELIVERS = 1000;

/** Most octets of deliver_sm/data_sm awaiting their answer: one may carry a 64 KB message_payload. */
export const MAX_PENDING_DELIVER_BYTES = 4 * 1024 * 1024;

/**
 * Most octets waiting to be written before we stop reading the SMSC. Our own requests are bounded
 * by the window, but every enquire_link and deliver_sm it sends gets an answer: an SMSC that sends
 * and never reads would have them pile up in memory. Not reading passes the pressure back to it
 * (TCP flow control); a link that stays stuck ends at the response timeout of our own requests.
 */
export const WRITE_HIGH_WATER = 256 * 1024;

/** alert_notification, which this codec does not read (nothing here uses it). */
const ALERT_NOTIFICATION = 0x00000102;

let sessionCounter = 0;

export class SmppSession<T> {
  readonly id = ++sessionCounter;
  private socket: Socket | undefined;
  private state: SessionState = 'idle';
  private sequence = 0;
  private readonly outstanding = new Map<number, Outstanding<T>>();
  private submitsInFlight = 0;
  private lastHeard = 0;
  private sweep: NodeJS.Timeout | undefined;
  private corked = false;
  private closeReason = '';
  private enquiring = false;
  /** deliver_sm/data_sm read and not answered yet, and their octets. */
  private pendingDelivers = 0;
  private pendingDeliverBytes = 0;
  /** Those deliver_sm/data_sm (`pendingDelivers`), for `answersLost`. */
  private readonly pendingPdus = new Set<ShortMessagePdu | DataSmPdu>();
  /** The sequence number of the SMSC's unbind, while it waits for deliver_sm being stored (`endSmscUnbind`). */
  private smscUnbind: number | undefined;
  /** Reading stopped until what waits to be written drains (`WRITE_HIGH_WATER`). */
  private readPaused = false;
  /** When the bind succeeded (ms), 0 when not bound. */
  boundAt = 0;

  constructor(
    private readonly opts: SessionOptions,
    private readonly handlers: SessionHandlers<T>,
    private readonly now: () => number = Date.now,
  ) {}

  get mode(): BindMode {
    return this.opts.mode;
  }

  get isBound(): boolean {
    return this.state === 'bound';
  }

  get canSubmit(): boolean {
    return this.state === 'bound' && this.opts.mode !== 'receiver';
  }

  /** submit_sm sent and not yet answered. */
  get inFlight(): number {
    return this.submitsInFlight;
  }

  /** Connect and bind; rejects with the reason when either fails (the session is then closed). */
  async open(): Promise<void> {
    if (this.state !== 'idle') throw new Error('a session opens once');
    this.state = 'connecting';
    const { host, port, tls } = this.opts;
    const socket = tls ? tlsConnect({ ...tls, host, port }) : netConnect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const framer = new PduFramer();
    let connectTimer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      // Covers the bind too: an SMSC that accepts the connection and never answers the bind (the
      // sweep starts only once bound) would otherwise hold this slot "connecting" for good.
      connectTimer = setTimeout(() => {
        const reason = `no bind within ${this.opts.connectTimeoutMs} ms`;
        reject(new Error(reason));
        this.close(reason);
      }, this.opts.connectTimeoutMs);
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('connection closed while binding')));
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastHeard = this.now();
      const out = framer.push(chunk);
      for (const frame of out.frames) this.onFrame(frame);
      if (out.error) this.close(`framing error: ${out.error}`);
    });
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close(this.closeReason || 'connection closed by the SMSC'));
    try {
      await ready;
      const resp = await this.request({
        command: `bind_${this.opts.mode}`,
        sequence: 0,
        status: 0,
        systemId: this.opts.systemId,
        password: this.opts.password,
        systemType: this.opts.systemType,
        interfaceVersion: INTERFACE_VERSION_34,
        addrTon: this.opts.addrTon,
        addrNpi: this.opts.addrNpi,
        addressRange: this.opts.addressRange,
      });
      // Closed meanwhile (timed out, dropped, unbound): the bind was answered by `close`, not the SMSC.
      if (this.state !== 'connecting') throw new Error(this.closeReason || 'closed while binding');
      if (resp.status !== 0) throw new Error(`bind refused: ${statusName(resp.status)}`);
      // Only a bind_…_resp binds: a generic_nack (the SMSC could not read our bind) says ESME_ROK by mistake at most.
      if (resp.command !== `bind_${this.opts.mode}_resp`) throw new Error(`bind answered with ${resp.command}`);
      this.state = 'bound';
      this.boundAt = this.now();
      this.lastHeard = this.now();
      const every = Math.max(50, Math.min(1000, Math.floor(Math.min(this.opts.enquireLinkMs, this.opts.responseTimeoutMs) / 2)));
      this.sweep = setInterval(() => this.onSweep(), every);
      this.sweep.unref();
    } catch (err) {
      this.close((err as Error).message);
      throw err;
    } finally {
      clearTimeout(connectTimer);
    }
  }

  /** Send a submit_sm; the answer comes to `handlers.submitAnswered` with `token`. */
  submit(fields: SubmitFields, token: T): void {
    if (!this.canSubmit) throw new Error('session cannot submit');
    const sequence = this.nextSequence();
    const frame = encodePdu({ command: 'submit_sm', sequence, status: 0, ...fields });
    this.outstanding.set(sequence, { command: 'submit_sm', sentAt: this.now(), token });
    this.submitsInFlight++;
    this.write(frame);
  }

  /**
   * Ask the SMSC about a message it accepted (`query_sm`); resolves with its answer — a
   * `query_sm_resp`, or a `generic_nack` (also when the link ends first).
   */
  query(messageId: string, source: Address): Promise<Pdu> {
    if (!this.canSubmit) return Promise.resolve({ command: 'generic_nack', sequence: 0, status: STATUS.ESME_RINVBNDSTS });
    return this.request({ command: 'query_sm', sequence: 0, status: 0, messageId, source });
  }

  /** Unbind politely (waits for unbind_resp up to the response timeout), then close. */
  async unbind(): Promise<void> {
    if (this.state !== 'bound') {
      this.close('closed');
      return;
    }
    this.state = 'unbinding';
    // deliver_sm and data_sm being stored are answered before the unbind: closed on them unanswered,
    // the SMSC sends them again, and an MO stored already is stored twice. Those that arrive from now
    // on are answered ESME_RX_T_APPN, to come again on the next bind. Wall-clock time, bounded.
    const drained = performance.now() + Math.min(2000, this.opts.responseTimeoutMs);
    while (this.pendingDelivers > 0 && this.state === 'unbinding' && performance.now() < drained) await new Promise((r) => setTimeout(r, 10));
    if (this.state !== 'unbinding') return;
    try {
      await Promise.race([this.request({ command: 'unbind', sequence: 0, status: 0 }), new Promise((r) => setTimeout(r, Math.min(2000, this.opts.responseTimeoutMs)).unref())]);
    } catch {
      // Closing anyway.
    }
    this.close('unbound');
  }

  /** End the link now; unanswered submits go back to the owner. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    this.boundAt = 0;
    if (this.sweep) clearInterval(this.sweep);
    const unanswered: T[] = [];
    for (const o of this.outstanding.values()) {
      if (o.token !== null) unanswered.push(o.token);
      o.resolve?.({ command: 'generic_nack', sequence: 0, status: STATUS.ESME_RSYSERR });
    }
    this.outstanding.clear();
    this.submitsInFlight = 0;
    this.socket?.destroy();
    if (this.pendingPdus.size) this.handlers.answersLost?.(this, [...this.pendingPdus]);
    this.pendingPdus.clear();
    this.handlers.closed(this, reason, unanswered);
  }

  private nextSequence(): number {
    // 1..0x7FFFFFFF (v3.4 §5.1.4), wrapping.
    this.sequence = this.sequence >= 0x7fffffff ? 1 : this.sequence + 1;
    return this.sequence;
  }

  private request(pdu: Pdu): Promise<Pdu> {
    return new Promise<Pdu>((resolve) => {
      const sequence = this.nextSequence();
      this.outstanding.set(sequence, { command: pdu.command, sentAt: this.now(), token: null, resolve });
      this.write(encodePdu({ ...pdu, sequence } as Pdu));
    });
  }

  private write(frame: Buffer): void {
    const s = this.socket;
    if (!s || s.destroyed) return;
    // Coalesce the PDUs of one event-loop turn into one TCP write.
    if (!this.corked) {
      this.corked = true;
      s.cork();
      process.nextTick(() => {
        this.corked = false;
        s.uncork();
      });
    }
    s.write(frame);
    if (!this.readPaused && s.writableLength > WRITE_HIGH_WATER) {
      this.readPaused = true;
      s.pause();
      s.once('drain', () => {
        this.readPaused = false;
        if (!s.destroyed) s.resume();
      });
      this.handlers.backedUp?.(this, s.writableLength);
    }
  }

  private reply(pdu: Pdu): void {
    try {
      this.write(encodePdu(pdu));
    } catch (err) {
      if (err instanceof EncodeError) this.close(`could not encode ${pdu.command}: ${err.message}`);
      else throw err;
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.state === 'closed') return;
    const decoded = decodePdu(frame);
    // The one request with no response (v3.4 §4.12): a generic_nack would answer a PDU the SMSC
    // awaits nothing for. It tells of a handset back in reach after `set_dpf`, which we never set.
    if (!decoded.ok && decoded.commandId === ALERT_NOTIFICATION) return;
    if (!decoded.ok) {
      this.handlers.protocolError?.(this, decoded.reason);
      // A response we cannot read still ends its request, or it would hold the window forever.
      if (decoded.sequence !== undefined && decoded.commandId !== undefined && decoded.commandId & 0x80000000) {
        // Reported once above, as unreadable, even when nothing awaits it. Its header's status is
        // what the SMSC answered: a submit_sm_resp saying ESME_ROK is an acceptance whatever its
        // body (the SMSC will deliver the part, so it must not be failed or sent again for an id we
        // cannot read), and an error status is that error, not our reading problem. Any other answer
        // saying ESME_ROK (an unknown or wrong response) says nothing we can act on: a submit it
        // answers is tried again (`answer`), as when such an answer can be read, not failed for good.
        const o = this.outstanding.get(decoded.sequence);
        if (o?.command === 'submit_sm' && decoded.commandId === COMMAND_IDS.submit_sm_resp && decoded.commandStatus === STATUS.ESME_ROK) {
          this.answer(decoded.sequence, { command: 'submit_sm_resp', sequence: decoded.sequence, status: STATUS.ESME_ROK, messageId: decoded.messageId ?? '', tlvs: [] });
        } else if (o) this.answer(decoded.sequence, { command: 'generic_nack', sequence: decoded.sequence, status: decoded.commandStatus ?? decoded.status });
      } else {
        // A deliver_sm or data_sm with a field we cannot read gets its own response with that field's status.
        this.reply(refusalOf(decoded, ESME_TAKES)!);
      }
      return;
    }
    const pdu = decoded.pdu;
    switch (pdu.command) {
      case 'enquire_link':
        this.reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
        return;
      case 'unbind':
        // deliver_sm and data_sm being stored are answered first (as before our own unbind): closed
        // on them unanswered, the SMSC sends them again, and an MO stored already is stored twice.
        this.state = 'unbinding';
        this.smscUnbind = pdu.sequence;
        if (this.pendingDelivers === 0) this.endSmscUnbind();
        else setTimeout(() => this.endSmscUnbind(), Math.min(2000, this.opts.responseTimeoutMs)).unref();
        return;
      case 'deliver_sm':
      case 'data_sm': {
        if (this.opts.mode === 'transmitter') {
          this.reply({ command: `${pdu.command}_resp`, sequence: pdu.sequence, status: STATUS.ESME_RINVBNDSTS, messageId: '', tlvs: [] });
          return;
        }
        const command = pdu.command;
        const size = frame.length;
        if (this.state === 'unbinding' || this.pendingDelivers >= MAX_PENDING_DELIVERS || (this.pendingDelivers > 0 && this.pendingDeliverBytes + size > MAX_PENDING_DELIVER_BYTES)) {
          this.reply({ command: `${command}_resp`, sequence: pdu.sequence, status: STATUS.ESME_RX_T_APPN, messageId: '', tlvs: [] });
          return;
        }
        this.pendingDelivers++;
        this.pendingDeliverBytes += size;
        this.pendingPdus.add(pdu);
        this.handlers
          .deliver(this, pdu)
          .catch(() => STATUS.ESME_RX_T_APPN)
          .then((status) => {
            this.pendingDelivers--;
            this.pendingDeliverBytes -= size;
            this.pendingPdus.delete(pdu);
            if (this.state !== 'closed') this.reply({ command: `${command}_resp`, sequence: pdu.sequence, status, messageId: '', tlvs: [] });
            if (this.pendingDelivers === 0) this.endSmscUnbind();
          });
        return;
      }
      case 'bind_receiver':
      case 'bind_transmitter':
      case 'bind_transceiver':
      case 'submit_sm':
      case 'query_sm':
        // Requests only an SMSC answers.
        this.reply({ command: 'generic_nack', sequence: pdu.sequence, status: STATUS.ESME_RINVCMDID });
        return;
      default:
        this.answer(pdu.sequence, pdu);
    }
  }

  /** Answer the SMSC's unbind, once, and close (its deliver_sm being stored were answered, or waited for long enough). */
  private endSmscUnbind(): void {
    if (this.smscUnbind === undefined || this.state !== 'unbinding') return;
    this.reply({ command: 'unbind_resp', sequence: this.smscUnbind, status: 0 });
    this.smscUnbind = undefined;
    setImmediate(() => this.close('the SMSC unbound'));
  }

  private answer(sequence: number, pdu: Pdu): void {
    const o = this.outstanding.get(sequence);
    if (!o) {
      // An answer to nothing this bind asked (a wrong sequence number): counted and logged, not applied.
      this.handlers.protocolError?.(this, `${pdu.command} for sequence ${sequence}, which no request of this bind awaits`);
      return;
    }
    this.outstanding.delete(sequence);
    if (o.command === 'submit_sm') {
      this.submitsInFlight--;
      const resp: MessageIdRespPdu = pdu.command === 'submit_sm_resp' ? pdu : { command: 'submit_sm_resp', sequence, status: pdu.status || STATUS.ESME_RSYSERR, messageId: '', tlvs: [] };
      // The SMSC does not count this link as bound (it lost our bind, say behind a proxy that kept
      // the connection): nothing sent on it will be taken, so it ends, before the part is queued
      // again, and the part goes out on a new bind.
      if (resp.status === STATUS.ESME_RINVBNDSTS && this.state === 'bound') this.close('SMSC answered ESME_RINVBNDSTS: it does not count this bind as bound');
      this.handlers.submitAnswered(this, o.token as T, resp);
    } else {
      o.resolve?.(pdu);
    }
  }

  private onSweep(): void {
    if (this.state !== 'bound' && this.state !== 'unbinding') return;
    const now = this.now();
    // Map iteration is send order, so the oldest request is first.
    const oldest = this.outstanding.values().next().value as Outstanding<T> | undefined;
    if (oldest && now - oldest.sentAt > this.opts.responseTimeoutMs) {
      this.close(`no answer to ${oldest.command} within ${this.opts.responseTimeoutMs} ms`);
      return;
    }
    if (this.state === 'bound' && !this.enquiring && now - this.lastHeard >= this.opts.enquireLinkMs) {
      this.enquiring = true;
      void this.request({ command: 'enquire_link', sequence: 0, status: 0 }).finally(() => (this.enquiring = false));
    }
  }
}
