/**
 * A bare JSON-RPC-over-WebSocket peer for RELAY tests: sends raw frames, records everything the
 * server sends, answers server requests (acks, pongs) unless told not to.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export interface Frame {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

export class RawRelay {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  autoAck = true;
  private waiters: Array<() => void> = [];
  private closedPromise: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      let f: Frame;
      try {
        f = JSON.parse(text);
      } catch {
        f = { jsonrpc: '2.0', method: '<unparseable>', params: text };
      }
      this.frames.push(f);
      if (this.autoAck && f.method && f.id !== undefined) ws.send(JSON.stringify({ jsonrpc: '2.0', id: f.id, result: f.method === 'signalwire.ping' ? { timestamp: f.params?.timestamp } : {} }));
      for (const w of this.waiters.splice(0)) w();
    });
    this.closedPromise = new Promise((resolve) => ws.on('close', (code) => {
      this.closeCode = code;
      resolve(code);
      for (const w of this.waiters.splice(0)) w();
    }));
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawRelay> {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawRelay(ws);
  }

  /** Open and authenticate; returns the connect result. */
  static async connected(url: string, project: string, token: string, extra: Record<string, unknown> = {}, options: WebSocket.ClientOptions = {}): Promise<{ relay: RawRelay; result: any }> {
    const relay = await RawRelay.open(url, options);
    const res = await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, agent: 'test', event_acks: true, authentication: { project, token }, ...extra });
    if (res.error) throw new Error(`connect failed: ${JSON.stringify(res.error)}`);
    return { relay, result: res.result };
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Send a request and wait for the response with the same id. */
  async call(method: string, params?: unknown, id: string | number = randomUUID()): Promise<Frame> {
    this.ws.send(JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }));
    return this.waitFor((f) => f.id === id && f.method === undefined);
  }

  /** Wait for a frame matching `match` (searching frames already received too). */
  async waitFor(match: (f: Frame) => boolean, timeoutMs = 5000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.slice(from).find(match);
      if (hit) return hit;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) while waiting; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame; got: ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Events (inner params) of a type received so far. */
  events(type: string): any[] {
    return this.frames.filter((f) => f.method === 'signalwire.event' && f.params?.event_type === type).map((f) => f.params.params);
  }

  /** Wait for the n-th event of a type matching `match`. */
  async waitForEvents(type: string, match: (p: any) => boolean, count: number, timeoutMs = 5000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.events(type).filter(match);
      if (got.length >= count) return got;
      if (Date.now() > deadline || this.closeCode !== undefined) throw new Error(`timed out waiting for ${count} ${type} events; got ${JSON.stringify(got)}`);
      await this.waitFor(() => true, Math.max(1, deadline - Date.now()), this.frames.length).catch(() => undefined);
    }
  }

  closed(): Promise<number> {
    return this.closedPromise;
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closedPromise;
  }

  /** Cut the TCP connection without a close handshake. */
  cut(): Promise<number> {
    this.ws.terminate();
    return this.closedPromise;
  }
}
