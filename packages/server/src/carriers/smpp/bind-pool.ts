/**
 * The binds of one SMPP account: each slot keeps one session of its mode alive, reconnecting on the
 * shared backoff schedule (doubling from reconnectMinMs to reconnectMaxMs, jittered, back to the
 * start after a good bind — one that stayed up for reconnectMaxMs, so an SMSC that accepts binds and
 * drops them at once is not rebound every reconnectMinMs). The pool picks the least busy bind with window space for each submit,
 * and hands back what a dropped bind left unanswered.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { backoffDelay, type BackoffPolicy } from '@switchboard/protocol';
import type { CarrierLinkStatus } from '../../domain/ports/carrier.js';
import type { SmppContext } from './context.js';
import type { DataSmPdu, MessageIdRespPdu, ShortMessagePdu } from './pdu/codec.js';
import { SmppSession, type BindMode } from './session.js';
import { warnLimited } from './warn-limited.js';

/** What the pool tells its owner; `T` is the token a submit carries. */
export interface BindPoolEvents<T> {
  /** A submit_sm was answered (any status). */
  submitAnswered(token: T, resp: MessageIdRespPdu): void;
  /** A deliver_sm or data_sm arrived; resolves with the command_status to answer. */
  deliver(pdu: ShortMessagePdu | DataSmPdu): Promise<number>;
  /** A bind ended while these deliver_sm/data_sm were being handled: their answers are lost (`SessionHandlers.answersLost`). */
  answersLost?(pdus: Array<ShortMessagePdu | DataSmPdu>): void;
  /** A bind came up: there is window space to fill. */
  bound(): void;
  /** A bind ended with these submits unanswered, in send order. */
  unanswered(tokens: T[], reason: string): void;
}

/** A bind slot: keeps one session of a mode alive. */
interface Slot<T> {
  readonly name: string;
  readonly mode: BindMode;
  session: SmppSession<T> | null;
  state: CarrierLinkStatus['state'];
  /** Reconnects since the last good bind (one that stayed up for reconnectMaxMs). */
  retries: number;
  /** When the current session bound (ms), 0 when it is not bound. */
  boundAt: number;
  /** The wait before the reconnect now scheduled. */
  retryInMs: number;
  lastError: string | null;
  timer: NodeJS.Timeout | undefined;
}

/** The bind slots of one connector; `T` is the token each submit carries (the part it sends). */
export class BindPool<T> {
  private readonly slots: Slot<T>[] = [];
  private readonly tls: ConnectionOptions | null;
  private readonly backoff: BackoffPolicy;
  private stopping = false;

  constructor(
    private readonly ctx: SmppContext,
    private readonly events: BindPoolEvents<T>,
  ) {
    const c = ctx.config;
    this.backoff = { initialMs: c.reconnectMinMs, maxMs: c.reconnectMaxMs, jitter: 0.25 };
    this.tls = c.tls
      ? {
          rejectUnauthorized: c.tls.rejectUnauthorized,
          ...(c.tls.caFile ? { ca: readFileSync(c.tls.caFile) } : {}),
          ...(c.tls.servername ? { servername: c.tls.servername } : {}),
        }
      : null;
    const sendMode: BindMode = c.bindMode === 'transceiver' ? 'transceiver' : 'transmitter';
    for (let i = 0; i < c.binds; i++) this.slots.push(this.slot(`${sendMode}-${i + 1}`, sendMode));
    for (let i = 0; i < c.receivers; i++) this.slots.push(this.slot(`receiver-${i + 1}`, 'receiver'));
  }

  /** How many slots there are, and how many are bound. */
  get size(): number {
    return this.slots.length;
  }

  get bound(): number {
    return this.slots.filter((s) => s.state === 'bound').length;
  }

  /** Bind every slot, in the background: a carrier that is down must not stop the server starting. */
  start(): void {
    for (const s of this.slots) void this.connect(s);
  }

  /** Stop reconnecting, give submits in flight up to `graceMs` to be answered, then unbind. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    // Wall-clock time, not the connector's clock: a manual clock nobody moves while the server stops.
    const deadline = performance.now() + graceMs;
    while (this.slots.some((s) => (s.session?.inFlight ?? 0) > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.slots.map((s) => s.session?.unbind()));
    for (const s of this.slots) s.state = 'stopped';
  }

  /** The least busy session that can take a submit now. */
  sessionWithRoom(): SmppSession<T> | undefined {
    let best: SmppSession<T> | undefined;
    for (const s of this.slots) {
      const session = s.session;
      if (!session || !session.canSubmit || session.inFlight >= this.ctx.config.window) continue;
      if (!best || session.inFlight < best.inFlight) best = session;
    }
    return best;
  }

  /** Whether any bound session can send now (per submit batch: no list built). */
  canSend(): boolean {
    return this.slots.some((s) => s.session !== null && s.session.canSubmit);
  }

  /** Bound sessions that can send requests (for `query_sm`), least busy first. */
  senders(): SmppSession<T>[] {
    return this.slots
      .map((s) => s.session)
      .filter((s): s is SmppSession<T> => s !== null && s.canSubmit)
      .sort((a, b) => a.inFlight - b.inFlight);
  }

  /** Each bind, for the carrier status. */
  links(): CarrierLinkStatus[] {
    return this.slots.map((s) => ({
      id: s.name,
      mode: s.mode,
      state: s.state,
      windowUsed: s.session?.inFlight ?? 0,
      windowSize: s.mode === 'receiver' ? 0 : this.ctx.config.window,
      boundSince: s.session?.boundAt || null,
      lastError: s.lastError,
    }));
  }

  private slot(name: string, mode: BindMode): Slot<T> {
    return { name, mode, session: null, state: 'down', retries: 0, boundAt: 0, retryInMs: 0, lastError: null, timer: undefined };
  }

  private async connect(slot: Slot<T>): Promise<void> {
    slot.timer = undefined;
    if (this.stopping) return;
    slot.state = 'connecting';
    const { config: c, deps, counters } = this.ctx;
    const session = new SmppSession<T>(
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
        submitAnswered: (_s, token, resp) => this.events.submitAnswered(token, resp),
        deliver: (_s, pdu) => this.events.deliver(pdu),
        closed: (s, reason, unanswered) => this.onClosed(slot, s, reason, unanswered),
        answersLost: (_s, pdus) => this.events.answersLost?.(pdus),
        protocolError: (_s, reason) => {
          counters.protocol_errors++;
          warnLimited(this.ctx, { carrier: c.id, bind: slot.name, reason }, 'unreadable or unexpected PDU from the SMSC');
        },
        backedUp: (_s, unsentOctets) => {
          counters.writes_backed_up++;
          deps.logger.warn({ carrier: c.id, bind: slot.name, unsentOctets }, 'the SMSC does not read what we send; reading it paused until that drains');
        },
      },
      deps.now,
    );
    slot.session = session;
    try {
      await session.open();
    } catch (err) {
      counters.bind_failures++;
      slot.lastError = (err as Error).message;
      deps.logger.warn({ carrier: c.id, bind: slot.name, err: slot.lastError, retryInMs: slot.retryInMs }, 'SMPP bind failed');
      return; // `closed` has scheduled the retry
    }
    if (this.stopping) return void session.unbind();
    slot.state = 'bound';
    slot.boundAt = deps.now();
    slot.lastError = null;
    counters.binds++;
    deps.logger.info({ carrier: c.id, bind: slot.name, host: c.host, port: c.port }, 'SMPP bound');
    this.events.bound();
  }

  private onClosed(slot: Slot<T>, session: SmppSession<T>, reason: string, unanswered: T[]): void {
    if (slot.session !== session) return;
    const wasBound = slot.state === 'bound';
    // Only a bind that lasted starts the backoff over: one dropped right after binding counts as a failure.
    if (wasBound && this.ctx.deps.now() - slot.boundAt >= this.ctx.config.reconnectMaxMs) slot.retries = 0;
    slot.boundAt = 0;
    slot.session = null;
    if (this.stopping) {
      slot.state = 'stopped';
      this.events.unanswered(unanswered, reason);
      return;
    }
    slot.state = 'down';
    slot.lastError = reason;
    if (wasBound) {
      this.ctx.counters.disconnects++;
      this.ctx.deps.logger.warn({ carrier: this.ctx.config.id, bind: slot.name, reason, resending: unanswered.length }, 'SMPP bind lost; reconnecting');
    }
    this.events.unanswered(unanswered, reason);
    slot.retryInMs = backoffDelay(this.backoff, slot.retries++);
    slot.timer = setTimeout(() => void this.connect(slot), slot.retryInMs);
    slot.timer.unref();
  }
}
