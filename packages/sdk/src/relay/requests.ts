/**
 * The requests of a `RelayClient`: JSON-RPC ids, each answer matched to its request, a timeout
 * per request, and a bounded queue of the requests made while disconnected, written once the
 * connection is back.
 */
import { randomUUID } from 'node:crypto';
import { METHOD_CONNECT, isSuccessCode } from '@switchboard/protocol';
import type { ConnectionStatus } from './connection.js';
import { RelayError, RelayTimeoutError } from './relay-error.js';

/** What requests need of the connection they travel on. */
export interface RequestWire {
  /** Where the connection stands: `closed` refuses requests, `idle` is woken by one. */
  readonly status: ConnectionStatus;
  /** True when a frame written now goes out on an authenticated, open socket. */
  readonly writable: boolean;
  /** Write one frame. */
  send(frame: string): void;
  /** Start connecting; its failure reaches the queued requests, not this caller. */
  connect(): Promise<void>;
  /** Drop the socket, which is probably half-open; a reconnect follows. */
  drop(): void;
}

/** How long requests wait and how many may queue. */
export interface RequestLimits {
  /** Per-request timeout in ms, counted from when the request is written. */
  readonly timeoutMs: number;
  /** Requests kept while disconnected; more are rejected. */
  readonly maxQueued: number;
}

interface Pending {
  readonly method: string;
  resolve(result: Record<string, unknown>): void;
  reject(err: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
}

interface Queued {
  readonly frame: string;
  readonly id: string;
}

/** The client's JSON-RPC requests: sent, answered, timed out or queued. */
export class Requests {
  private readonly pending = new Map<string, Pending>();
  private queue: Queued[] = [];

  /**
   * @param wire the connection requests are written on
   * @param limits timeout and queue bound
   */
  constructor(
    private readonly wire: RequestWire,
    private readonly limits: RequestLimits,
  ) {}

  /**
   * Send a request and settle with its `result`: rejected on a JSON-RPC error, a non-2xx result
   * code or a timeout. Queued while disconnected, and the first one wakes an idle connection.
   */
  send(method: string, params: unknown): Promise<Record<string, unknown>> {
    if (this.wire.status === 'closed') return Promise.reject(new RelayError(-1, 'The client is disconnected; call connect() first.'));
    return this.add(method, params, (id, frame) => {
      if (this.wire.writable) return this.write(id, frame);
      if (this.queue.length >= this.limits.maxQueued) {
        this.take(id)?.reject(new RelayError(-1, `Too many requests waiting for the connection (limit ${this.limits.maxQueued}).`));
        return;
      }
      this.queue.push({ frame, id });
      if (this.wire.status === 'idle') this.wire.connect().catch(() => {});
    });
  }

  /** Write a request at once, never queued: the handshake on a socket not yet authenticated. */
  sendNow(method: string, params: unknown): Promise<Record<string, unknown>> {
    return this.add(method, params, (id, frame) => this.write(id, frame));
  }

  /** Settle the request a response frame answers (unknown or late ids are ignored). */
  settle(id: string, msg: Record<string, unknown>): void {
    const p = this.take(id);
    if (!p) return;
    if (msg.error !== undefined) {
      const e = (msg.error ?? {}) as Record<string, unknown>;
      p.reject(new RelayError(typeof e.code === 'number' ? e.code : -1, String(e.message ?? 'Unknown error'), e.data));
      return;
    }
    const result = msg.result;
    if (result === null || typeof result !== 'object') {
      p.resolve({ value: result });
      return;
    }
    const r = result as Record<string, unknown>;
    // signalwire.connect answers without a result code.
    if (p.method !== METHOD_CONNECT && !isSuccessCode(r.code)) {
      const code = Number.parseInt(String(r.code), 10);
      p.reject(new RelayError(Number.isNaN(code) ? -1 : code, String(r.message ?? 'Unknown error'), r.data));
      return;
    }
    p.resolve(r);
  }

  /** Write the requests queued while disconnected (the connection is authenticated again). */
  flush(): void {
    for (const q of this.queue.splice(0)) if (this.pending.has(q.id)) this.write(q.id, q.frame);
  }

  /** Reject the requests written and not answered; queued ones wait for the next connection. */
  failSent(err: unknown): void {
    for (const [id, p] of this.pending) {
      if (this.queue.some((q) => q.id === id)) continue;
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }

  /** Reject the queued requests. */
  failQueued(err: unknown): void {
    for (const q of this.queue.splice(0)) this.take(q.id)?.reject(err);
  }

  /** Reject every request, written or queued. */
  failAll(err: unknown): void {
    this.failSent(err);
    this.failQueued(err);
  }

  private add(method: string, params: unknown, dispatch: (id: string, frame: string) => void): Promise<Record<string, unknown>> {
    const id = randomUUID();
    const frame = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      dispatch(id, frame);
    });
  }

  /** Write a pending request; its timeout starts now, not while it was queued. */
  private write(id: string, frame: string): void {
    const p = this.pending.get(id);
    if (p && !p.timer) {
      p.timer = setTimeout(() => {
        this.pending.delete(id);
        p.reject(new RelayTimeoutError(`${p.method} got no answer within ${this.limits.timeoutMs} ms.`));
        // No answer in time: the socket is probably half-open; start over (connect itself just fails).
        if (p.method !== METHOD_CONNECT) this.wire.drop();
      }, this.limits.timeoutMs);
    }
    this.wire.send(frame);
  }

  private take(id: string): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (p?.timer) clearTimeout(p.timer);
    return p;
  }
}
