/**
 * One ESME's connection to the simulator's SMSC: reads its PDUs, answers binds, keep-alives,
 * unbinds and the requests an SMSC refuses, and tracks the deliver_sm sent to it until they are
 * answered. What needs the whole SMSC (credentials, bind limits, submissions, re-sending) goes to
 * its host.
 */
import type { Socket } from 'node:net';
import type { SmscStats } from '../../../domain/ports/simulator.js';
import { clientAddressKey } from '../../../util/client-address.js';
import { encodePdu, decodePdu, intTlv, refusalOf, type BindPdu, type Pdu, type QuerySmPdu, type ShortMessagePdu } from '../../smpp/pdu/codec.js';
import { INTERFACE_VERSION_34, STATUS, TLV, type CommandName } from '../../smpp/pdu/constants.js';
import { PduFramer } from '../../smpp/pdu/framer.js';
import type { DeliverTarget, PendingDeliver } from './deliveries.js';

/** The requests an SMSC takes (a deliver_sm from an ESME gets generic_nack ESME_RINVCMDID). */
const SMSC_TAKES: ReadonlySet<CommandName> = new Set(['bind_transmitter', 'bind_receiver', 'bind_transceiver', 'enquire_link', 'unbind', 'submit_sm', 'data_sm', 'query_sm']);

/** How an ESME is bound. */
export type EsmeMode = 'transmitter' | 'receiver' | 'transceiver';

/** How the SMSC answers a bind request on an unbound connection. */
export interface BindAnswer {
  /** command_status: 0 admits it. */
  readonly status: number;
  /** Hold the answer back this long (ms); nothing else on the connection is read meanwhile. */
  readonly delayMs: number;
  /** Close the connection after the answer. */
  readonly close: boolean;
}

/** What a connection asks of the SMSC it belongs to. */
export interface ConnectionHost {
  readonly stats: SmscStats;
  /** The answer to a bind request on an unbound connection from `address` (its key: `clientAddressKey`). */
  authorise(pdu: BindPdu, address: string): BindAnswer;
  /** Run `fn` after `ms` of wall time (held bind answers; the SMSC keeps one timer for all). */
  later(ms: number, fn: () => void): void;
  /** The ESME is bound (answered already). */
  bound(c: SmscConnection): void;
  /** A submit_sm arrived, in any bind state: the host answers it. */
  submit(c: SmscConnection, pdu: ShortMessagePdu): void;
  /** A query_sm from a bind that may send: the host answers it. */
  query(c: SmscConnection, pdu: QuerySmPdu): void;
  /** The ESME acknowledged a deliver_sm (ESME_ROK). */
  delivered(item: PendingDeliver): void;
  /** A deliver_sm the ESME refused or will never answer: send it again. */
  redeliver(item: PendingDeliver): void;
  /** The connection has room for deliver_sm again (an answer freed its window, or its writes drained). */
  room(c: SmscConnection): void;
  /** The connection is gone. */
  closed(c: SmscConnection): void;
}

const MODES = { bind_transmitter: 'transmitter', bind_receiver: 'receiver', bind_transceiver: 'transceiver' } as const;
const ALREADY_BOUND: BindAnswer = { status: STATUS.ESME_RALYBND, delayMs: 0, close: false };

/**
 * A connection that has not bound by then is closed (the SMSC also makes room for newcomers by
 * closing the oldest unbound connections: `makeRoom` in `smsc-server.ts`). Real time, not the
 * simulator's clock.
 */
export const BIND_DEADLINE_MS = 10_000;
/** A connection with no traffic either way for this long is closed (ESMEs send enquire_link every 30–60 s). */
export const IDLE_TIMEOUT_MS = 120_000;
/**
 * Reading stops while this much waits to be written to the ESME, and resumes once it has drained:
 * an ESME that sends requests (enquire_link, submit_sm) and never reads the answers would otherwise
 * make the SMSC hold every answer in memory (a million enquire_link took 160 MB).
 */
export const WRITE_HIGH_WATER = 256 * 1024;
/** Most deliver_sm sent to one bind and not answered yet; the rest wait in the SMSC's queue. */
export const DELIVER_WINDOW = 100;

/** One ESME's TCP connection, bound or not. */
export class SmscConnection implements DeliverTarget {
  mode: EsmeMode | null = null;
  systemId = '';
  /** The client's address, as failed binds are counted. */
  readonly address: string;
  /** Nothing more is written once set. */
  closed = false;
  private ended = false;
  private sequence = 0;
  private readonly framer = new PduFramer();
  private readonly outstanding = new Map<number, { item: PendingDeliver; sentAt: number }>();
  /** Submits counted in the current second, for a per-bind rate limit. */
  private windowStart = 0;
  private windowCount = 0;
  private readonly bindDeadline: NodeJS.Timeout;
  /** Frames read while a bind answer is held back (null: none is): handled after it is sent. */
  private held: Buffer[] | null = null;
  /** Reading stopped until what waits to be written drains (`WRITE_HIGH_WATER`). */
  private writeBlocked = false;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
    deadlines: { readonly bindMs: number; readonly idleMs: number },
  ) {
    this.address = clientAddressKey(socket.remoteAddress);
    socket.setNoDelay(true);
    this.bindDeadline = setTimeout(() => {
      if (!this.mode) this.destroy();
    }, deadlines.bindMs).unref();
    socket.setTimeout(deadlines.idleMs, () => this.destroy());
    socket.on('data', (chunk: Buffer) => {
      const out = this.framer.push(chunk);
      this.handle(out.frames);
      if (out.error) this.onFramingError(out.sequence);
    });
    socket.on('drain', () => {
      if (!this.writeBlocked) return;
      this.writeBlocked = false;
      this.flow();
      if (this.hasDeliverRoom) host.room(this);
    });
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  get canReceive(): boolean {
    return this.mode === 'receiver' || this.mode === 'transceiver';
  }

  /** deliver_sm sent and not answered yet. */
  get awaitingResponses(): number {
    return this.outstanding.size;
  }

  /** Whether a deliver_sm may be sent now: a receiving bind with window space whose writes are not backed up. */
  get hasDeliverRoom(): boolean {
    return this.canReceive && !this.closed && !this.writeBlocked && this.outstanding.size < DELIVER_WINDOW;
  }

  send(pdu: Pdu): void {
    this.write(encodePdu(pdu));
  }

  /** Write an already encoded PDU; past `WRITE_HIGH_WATER` unsent octets, stop reading until they drain. */
  write(frame: Buffer): void {
    if (this.closed) return;
    this.socket.write(frame);
    if (!this.writeBlocked && this.socket.writableLength > WRITE_HIGH_WATER) {
      this.writeBlocked = true;
      this.socket.pause();
    }
  }

  deliver(item: PendingDeliver, now: number): void {
    const sequence = this.next();
    this.outstanding.set(sequence, { item, sentAt: now });
    this.send({ ...item.pdu, sequence } as Pdu);
  }

  /** Whether one more submit this second goes over `perSecond`. */
  overRate(perSecond: number, now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    return ++this.windowCount > perSecond;
  }

  /** Take back the deliver_sm unanswered for `timeoutMs`, to send again. */
  takeOverdue(now: number, timeoutMs: number): PendingDeliver[] {
    const overdue: PendingDeliver[] = [];
    // Map order is send order: the first one still in time ends the search.
    for (const [seq, o] of this.outstanding) {
      if (now - o.sentAt < timeoutMs) break;
      this.outstanding.delete(seq);
      overdue.push(o.item);
    }
    return overdue;
  }

  /** Unbind politely and close; the socket is destroyed shortly after if the ESME lingers. */
  shutdown(): void {
    if (this.mode) this.send({ command: 'unbind', sequence: this.next(), status: 0 });
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref();
  }

  /** End the connection now; deliver_sm it never answered go out again on another bind. */
  destroy(): void {
    if (this.ended) return;
    this.ended = true;
    this.closed = true;
    clearTimeout(this.bindDeadline);
    this.socket.destroy();
    this.host.closed(this);
    for (const { item } of this.outstanding.values()) this.host.redeliver(item);
    this.outstanding.clear();
  }

  /** Read again unless a held bind answer or a write backlog says not to. */
  private flow(): void {
    if (!this.closed && !this.held && !this.writeBlocked) this.socket.resume();
  }

  /**
   * A command_length the stream cannot be read past (v3.4 §4.3: answered with generic_nack
   * ESME_RINVCMDLEN, with the sequence number when the header could be read); then the
   * connection ends, as nothing after it can be framed.
   */
  private onFramingError(sequence = 0): void {
    this.host.stats.protocolErrors++;
    if (this.closed) return;
    this.send({ command: 'generic_nack', sequence, status: STATUS.ESME_RINVCMDLEN });
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.destroy(), 200).unref();
  }

  private next(): number {
    this.sequence = this.sequence >= 0x7fffffff ? 1 : this.sequence + 1;
    return this.sequence;
  }

  private handle(frames: readonly Buffer[]): void {
    for (let i = 0; i < frames.length; i++) {
      if (this.held) {
        for (let j = i; j < frames.length; j++) this.held.push(frames[j]!);
        return;
      }
      this.onFrame(frames[i]!);
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    const decoded = decodePdu(frame);
    if (!decoded.ok) {
      this.host.stats.protocolErrors++;
      // A response we cannot read is not answered: two peers that nack each other's unreadable
      // answers would loop. It still ends the deliver_sm it answers, which is sent again.
      if (decoded.commandId !== undefined && decoded.commandId & 0x80000000) {
        const o = decoded.sequence === undefined ? undefined : this.outstanding.get(decoded.sequence);
        if (o) {
          this.outstanding.delete(decoded.sequence!);
          this.host.redeliver(o.item);
          if (this.hasDeliverRoom) this.host.room(this);
        }
        return;
      }
      // A known request with a field it cannot read gets its own response with that field's status.
      this.send(refusalOf(decoded, SMSC_TAKES)!);
      return;
    }
    const pdu = decoded.pdu;
    switch (pdu.command) {
      case 'bind_transmitter':
      case 'bind_receiver':
      case 'bind_transceiver':
        return this.onBind(pdu);
      case 'enquire_link':
        return this.send({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      case 'unbind':
        this.send({ command: 'unbind_resp', sequence: pdu.sequence, status: 0 });
        this.socket.end();
        setImmediate(() => this.destroy());
        return;
      case 'submit_sm':
        return this.host.submit(this, pdu);
      case 'data_sm':
        // Not supported: ESME_RINVCMDID, which an ESME does not retry. ESME_RSYSERR (a passing
        // system error) made it send the same data_sm again and again.
        return this.send({ command: 'data_sm_resp', sequence: pdu.sequence, status: this.mode ? STATUS.ESME_RINVCMDID : STATUS.ESME_RINVBNDSTS, messageId: '', tlvs: [] });
      case 'query_sm':
        if (this.mode === 'transmitter' || this.mode === 'transceiver') return this.host.query(this, pdu);
        return this.send({ command: 'query_sm_resp', sequence: pdu.sequence, status: STATUS.ESME_RINVBNDSTS, messageId: '', finalDate: '', messageState: 0, errorCode: 0 });
      case 'deliver_sm_resp':
      case 'generic_nack': {
        const o = this.outstanding.get(pdu.sequence);
        if (!o) return;
        this.outstanding.delete(pdu.sequence);
        if (pdu.status !== 0) this.host.redeliver(o.item);
        else this.host.delivered(o.item);
        if (this.hasDeliverRoom) this.host.room(this);
        return;
      }
      default:
        if (pdu.command.endsWith('_resp')) return; // answers to nothing we asked
        this.send({ command: 'generic_nack', sequence: pdu.sequence, status: STATUS.ESME_RINVCMDID });
    }
  }

  private onBind(pdu: BindPdu): void {
    const resp = `${pdu.command}_resp` as const;
    const answer = this.mode ? ALREADY_BOUND : this.host.authorise(pdu, this.address);
    if (answer.status !== STATUS.ESME_ROK) {
      this.host.stats.bindsRefused++;
      const frame = encodePdu({ command: resp, sequence: pdu.sequence, status: answer.status, systemId: '', tlvs: [] });
      const refuse = () => {
        this.write(frame);
        if (answer.close) this.shutdown();
      };
      if (answer.delayMs <= 0) return refuse();
      // Read nothing more until the answer has gone: pipelined binds wait their turn, each delayed.
      this.held = [];
      this.socket.pause();
      this.host.later(answer.delayMs, () => {
        if (this.closed) return;
        refuse();
        const rest = this.held ?? [];
        this.held = null;
        this.flow();
        this.handle(rest);
      });
      return;
    }
    this.mode = MODES[pdu.command];
    this.systemId = pdu.systemId;
    this.host.stats.binds++;
    this.send({ command: resp, sequence: pdu.sequence, status: 0, systemId: 'SWITCHBOARD', tlvs: [intTlv(TLV.sc_interface_version, INTERFACE_VERSION_34, 1)] });
    this.host.bound(this);
  }
}
