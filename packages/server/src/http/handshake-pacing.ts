/**
 * TLS handshakes paced per client address. A full handshake costs the server about a millisecond of
 * its one event loop (the RSA signature of the key exchange), so one client opening connections in a
 * loop — each closed once its handshake is done, which the per-address connection cap never sees —
 * held most of the thread at 600 handshakes a second, and every other client's requests waited
 * behind them (p50 1 ms → 26 ms). Each address (an IPv6 client's /48) now starts at most `ratePerSecond`
 * handshakes a second after a burst of `burst`; further ones wait their turn, in arrival order, with
 * their ClientHello unread. Waiting, not refusal: a client opening many connections at once (a test
 * suite, a pool warming up) gets them all, spread out, and its other connections are served.
 * A connection that closes while it waits leaves the queue; one still waiting counts toward the
 * per-address connection cap, so a queue never holds more than that cap.
 */
import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { clientAddressKey, clientNetworkKey } from '../util/client-address.js';
import { gateConnections } from './connection-gate.js';
import { TokenBucket } from '../util/token-bucket.js';

/** Full handshakes one address may start per second once its burst is spent: a tenth of a core at most. */
export const HANDSHAKES_PER_SECOND_PER_ADDRESS = 100;
/** Handshakes one address may start at once. */
export const HANDSHAKE_BURST_PER_ADDRESS = 64;
/** Every so many handshakes, the addresses whose allowance is whole again are forgotten. */
const SWEEP_EVERY = 1024;

export interface PacerTimers {
  now(): number;
  /** Run `fn` after `ms`; the returned function cancels it. Must not keep the process alive. */
  after(ms: number, fn: () => void): () => void;
}

const realTimers: PacerTimers = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

const ignore = () => {};

interface Waiting {
  readonly socket: Socket;
  readonly begin: () => void;
  readonly leave: () => void;
}

interface Allowance {
  readonly bucket: TokenBucket;
  readonly waiting: Waiting[];
  cancel?: (() => void) | undefined;
}

export class HandshakePacer {
  private readonly allowances = new Map<string, Allowance>();
  private admitted = 0;

  constructor(
    readonly ratePerSecond = HANDSHAKES_PER_SECOND_PER_ADDRESS,
    readonly burst = HANDSHAKE_BURST_PER_ADDRESS,
    private readonly timers: PacerTimers = realTimers,
  ) {}

  /** Call `begin` (start the socket's handshake) now if its address has one left, else when its turn comes; never if it closes first. */
  admit(socket: Socket, begin: () => void): void {
    if (++this.admitted % SWEEP_EVERY === 0) this.sweep();
    const key = clientNetworkKey(socket.remoteAddress) ?? clientAddressKey(socket.remoteAddress);
    let a = this.allowances.get(key);
    if (!a) this.allowances.set(key, (a = { bucket: new TokenBucket(this.ratePerSecond, this.burst, this.timers.now()), waiting: [] }));
    if (a.waiting.length === 0 && a.bucket.take(this.timers.now())) {
      begin();
      return;
    }
    const leave = () => {
      const i = a.waiting.findIndex((w) => w.socket === socket);
      if (i >= 0) a.waiting.splice(i, 1);
    };
    a.waiting.push({ socket, begin, leave });
    socket.once('close', leave);
    // No one else listens while it waits: a reset would be an uncaught error.
    socket.on('error', ignore);
    this.schedule(a);
  }

  /** Connections waiting for their turn, all addresses together. */
  get waiting(): number {
    let n = 0;
    for (const a of this.allowances.values()) n += a.waiting.length;
    return n;
  }

  private schedule(a: Allowance): void {
    if (a.cancel || a.waiting.length === 0) return;
    const now = this.timers.now();
    a.cancel = this.timers.after(Math.max(1, a.bucket.nextAt(now) - now), () => {
      a.cancel = undefined;
      while (a.waiting.length > 0) {
        const next = a.waiting[0]!;
        if (!next.socket.destroyed && !a.bucket.take(this.timers.now())) break;
        a.waiting.shift();
        next.socket.off('close', next.leave);
        next.socket.off('error', ignore);
        if (!next.socket.destroyed) next.begin();
      }
      this.schedule(a);
    });
  }

  /** Forget the addresses with nothing waiting whose allowance has refilled: a new one starts the same way. */
  private sweep(): void {
    const now = this.timers.now();
    for (const [key, a] of this.allowances) if (a.waiting.length === 0 && a.bucket.isFull(now)) this.allowances.delete(key);
  }
}

/**
 * Pace the handshakes of `server` (a TLS server, before it listens): the 'connection' listeners it
 * has now (node's TLS wrap) run for a connection when its address's turn comes. Installed before
 * `answerPlainHttp`, so only connections whose first bytes are a TLS handshake wait.
 */
export function paceHandshakes(server: TlsServer, pacer: HandshakePacer): void {
  gateConnections(server, (socket, proceed) => pacer.admit(socket, proceed));
}
