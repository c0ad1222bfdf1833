/**
 * `RelayClient`: one WebSocket to a RELAY server (Switchboard or SignalWire) speaking JSON-RPC.
 * It authenticates with `signalwire.connect`, acks and routes events, keeps requests to 10 s,
 * queues requests while disconnected (bounded), reconnects with backoff and resumes its session
 * (`protocol` + `authorization_state`), so in-flight messages keep receiving their state events.
 * When the server could not restore the session (it restarted), the client asks the REST API for
 * the current state of every message still in flight, so no terminal state is lost.
 */
import { randomUUID } from 'node:crypto';
import {
  EVENT_AUTHORIZATION_STATE,
  EVENT_MESSAGING_RECEIVE,
  EVENT_MESSAGING_STATE,
  METHOD_CONNECT,
  METHOD_DISCONNECT,
  METHOD_EVENT,
  METHOD_MESSAGING_SEND,
  METHOD_PING,
  METHOD_RECEIVE,
  METHOD_UNRECEIVE,
  RELAY_PROTOCOL_VERSION,
  errorKeyForCompatCode,
  ERRORS,
  isSuccessCode,
  type ConnectParams,
  type ConnectResult,
  type MessagingReceiveEventData,
  type MessagingSendParams,
  type MessagingSendResult,
  type MessagingStateEventData,
} from '@switchboard/protocol';
import WebSocket from 'ws';
import { resolveCredentials, resolveEndpoint, type Endpoint } from '../endpoint.js';
import { RestClient } from '../rest/rest-client.js';
import { Message, type CompletedHandler } from './message.js';
import { RelayError, RelayTimeoutError } from './relay-error.js';
import { RelayEvent } from './relay-event.js';

/** The agent string sent in `signalwire.connect`. */
export const SDK_AGENT = '@switchboard/sdk/0.1.0';

/** Where the client reports what it cannot throw (handler errors, reconnects). */
export interface RelayLogger {
  debug?(message: string, detail?: unknown): void;
  info?(message: string, detail?: unknown): void;
  warn?(message: string, detail?: unknown): void;
  error?(message: string, detail?: unknown): void;
}

/** Options of `new RelayClient()`. */
export interface RelayClientOptions {
  /** Project ID; default `SIGNALWIRE_PROJECT_ID`. */
  project?: string;
  /** API token; default `SIGNALWIRE_API_TOKEN`. */
  token?: string;
  /** Host name with optional port, or a `ws://`/`wss://` URL; default `SIGNALWIRE_SPACE`, then `127.0.0.1:8080`. */
  host?: string;
  /** Contexts to receive inbound messages on. */
  contexts?: string[];
  /** Per-request timeout in ms (default 10 000). */
  requestTimeoutMs?: number;
  /** Requests kept while disconnected (default 500); more are rejected. */
  maxQueuedRequests?: number;
  /** First and longest reconnect delay in ms (default 1 000 and 30 000; doubled each attempt, with jitter). */
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Client ping interval in ms (default 30 000); three unanswered pings force a reconnect. */
  pingIntervalMs?: number;
  /** Ask the REST API for in-flight messages' states after a reconnect the server could not resume (default true). */
  reconcile?: boolean;
  /** Default: errors and warnings to `console.error`. */
  logger?: RelayLogger;
}

/** Options of `sendMessage()`. */
export interface SendMessageOptions {
  /** Recipient, E.164. */
  toNumber: string;
  /** Sender: a number of your project, E.164. */
  fromNumber: string;
  /** Context for the message's state events; default the session's `protocol` (or `default` before the first connect). */
  context?: string;
  /** Text; required unless `media` is given. */
  body?: string;
  /** Up to 8 http(s) media URLs; makes the message MMS. */
  media?: string[];
  tags?: string[];
  /** Origination region (accepted, ignored by Switchboard). */
  region?: string;
  /** Called once when the message reaches a terminal state. */
  onCompleted?: CompletedHandler;
}

/** Handles inbound messages. */
export type InboundMessageHandler = (message: Message) => unknown;

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

type Status = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

const consoleLogger: RelayLogger = {
  warn: (m, d) => console.error(`[switchboard relay] ${m}`, d ?? ''),
  error: (m, d) => console.error(`[switchboard relay] ${m}`, d ?? ''),
};

/** A RELAY client: send messages, track their state, receive inbound messages by context. */
export class RelayClient {
  /** Project ID. */
  readonly project: string;
  /** The RELAY WebSocket URL and the REST base URL. */
  readonly endpoint: Endpoint;

  private readonly token: string;
  private readonly options: Required<Pick<RelayClientOptions, 'requestTimeoutMs' | 'maxQueuedRequests' | 'reconnectMinDelayMs' | 'reconnectMaxDelayMs' | 'pingIntervalMs' | 'reconcile'>>;
  private readonly logger: RelayLogger;
  private readonly contextSet: Set<string>;
  private ws: WebSocket | null = null;
  private status: Status = 'idle';
  private protocol = '';
  private authState = '';
  private everConnected = false;
  private readonly pending = new Map<string, Pending>();
  private queue: Queued[] = [];
  private readonly tracked = new Map<string, Message>();
  private readonly inboundHandlers: InboundMessageHandler[] = [];
  private readonly seenEvents = new Set<string>();
  /** State events that overtook their `messaging.send` answer (both can arrive in one read). */
  private readonly early = new Map<string, Array<Record<string, unknown>>>();
  private connecting: Promise<void> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pingFailures = 0;
  private attempt = 0;
  private rest: RestClient | null = null;
  private restored = false;

  /**
   * @param options credentials, host, contexts and tuning; credentials and host fall back to
   *   `SIGNALWIRE_PROJECT_ID`, `SIGNALWIRE_API_TOKEN` and `SIGNALWIRE_SPACE`
   */
  constructor(options: RelayClientOptions = {}) {
    const creds = resolveCredentials(options);
    this.project = creds.project;
    this.token = creds.token;
    this.endpoint = resolveEndpoint(creds.host);
    this.contextSet = new Set(options.contexts ?? []);
    this.logger = options.logger ?? consoleLogger;
    this.options = {
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      maxQueuedRequests: options.maxQueuedRequests ?? 500,
      reconnectMinDelayMs: options.reconnectMinDelayMs ?? 1_000,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      reconcile: options.reconcile ?? true,
    };
  }

  /** Contexts this client receives inbound messages on. */
  get contexts(): string[] {
    return [...this.contextSet];
  }

  /** The session name the server assigned (empty before the first connect). */
  get relayProtocol(): string {
    return this.protocol;
  }

  /** Whether the last connect resumed the earlier session (its contexts and missed events). */
  get sessionRestored(): boolean {
    return this.restored;
  }

  /** True while authenticated on an open socket. */
  get isConnected(): boolean {
    return this.status === 'connected';
  }

  /**
   * Open the WebSocket and authenticate. Resolves once connected; rejects with a `RelayError`
   * when the server refuses (e.g. -32002 for bad credentials) or cannot be reached.
   */
  async connect(): Promise<void> {
    if (this.status === 'connected') return;
    if (this.connecting) return this.connecting;
    if (this.status === 'closed') this.status = 'idle';
    this.connecting = this.open()
      .catch((err: unknown) => {
        // Never connected: requests waiting for this first connection cannot be sent.
        if (!this.everConnected) for (const q of this.queue.splice(0)) this.takePending(q.id)?.reject(err);
        throw err;
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  /** Close the connection for good: no reconnect; pending requests and waits are rejected. */
  async disconnect(): Promise<void> {
    this.status = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners('message');
      await new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000, 'client disconnect');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1_000).unref();
      });
    }
    this.failPending(new RelayError(-1, 'The client disconnected.'));
    for (const q of this.queue.splice(0)) this.pending.get(q.id)?.reject(new RelayError(-1, 'The client disconnected.'));
    this.pending.clear();
    for (const m of this.tracked.values()) m._abandon('The client disconnected before the message completed.');
    this.tracked.clear();
  }

  /** `await using client = new RelayClient(...)` disconnects at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  /**
   * Connect and keep the client running (reconnecting as needed) until SIGINT or SIGTERM, then
   * disconnect. Bad credentials stop it with the `RelayError`.
   */
  async run(): Promise<void> {
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const onSignal = () => stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      for (let failures = 0; ; failures++) {
        try {
          await this.connect();
          break;
        } catch (err) {
          if (err instanceof RelayError && (err.code === -32002 || err.code === -32001)) throw err;
          const delay = this.backoff(failures);
          this.logger.warn?.(`connect failed; retrying in ${delay} ms`, err);
          const again = await Promise.race([stopped.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), delay))]);
          if (!again) return;
        }
      }
      await stopped;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await this.disconnect();
    }
  }

  /**
   * Register a handler for inbound messages on the subscribed contexts.
   * @returns the handler (so it can be declared inline)
   */
  onMessage<H extends InboundMessageHandler>(handler: H): H {
    this.inboundHandlers.push(handler);
    return handler;
  }

  /** Start receiving inbound messages on more contexts. */
  async receive(contexts: string[]): Promise<void> {
    if (contexts.length === 0) return;
    for (const c of contexts) this.contextSet.add(c);
    await this.request(METHOD_RECEIVE, { contexts });
  }

  /** Stop receiving inbound messages on contexts. */
  async unreceive(contexts: string[]): Promise<void> {
    if (contexts.length === 0) return;
    for (const c of contexts) this.contextSet.delete(c);
    await this.request(METHOD_UNRECEIVE, { contexts });
  }

  /**
   * Send an SMS (body) or MMS (media). Resolves with the `Message` in state `queued` once the
   * server accepted it; follow it with `message.on()`, `message.wait()` or `onCompleted`.
   * @throws {RelayError} when neither body nor media is given, or the server refuses the message
   */
  async sendMessage(options: SendMessageOptions): Promise<Message> {
    const { toNumber, fromNumber, body, media, tags, region, onCompleted } = options;
    if ((body === undefined || body === '') && (!media || media.length === 0)) {
      throw new RelayError(400, 'Either body or media is required (checked before sending).');
    }
    const context = options.context ?? (this.protocol || 'default');
    const params: MessagingSendParams = {
      to_number: toNumber,
      from_number: fromNumber,
      context,
      ...(body !== undefined ? { body } : {}),
      ...(media ? { media } : {}),
      ...(tags ? { tags } : {}),
      ...(region ? { region } : {}),
    };
    const result = (await this.request(METHOD_MESSAGING_SEND, params)) as unknown as MessagingSendResult;
    const message = new Message(
      { messageId: result.message_id, context, direction: 'outbound', fromNumber, toNumber, body: body ?? '', media: media ?? [], tags: tags ?? [], state: 'queued' },
      { ...(onCompleted ? { onCompleted } : {}), onHandlerError: (err, what) => this.logger.error?.(`${what} failed`, err) },
    );
    if (result.message_id) {
      this.tracked.set(result.message_id, message);
      const early = this.early.get(result.message_id);
      this.early.delete(result.message_id);
      for (const envelope of early ?? []) message._apply(RelayEvent.fromEnvelope<MessagingStateEventData>(envelope));
      if (message.isDone) this.tracked.delete(result.message_id);
    }
    return message;
  }

  /**
   * Send any JSON-RPC request and return its `result` (rejecting on a JSON-RPC error or a non-2xx
   * result code). Queued while disconnected.
   */
  request(method: string, params: unknown): Promise<Record<string, unknown>> {
    if (this.status === 'closed') return Promise.reject(new RelayError(-1, 'The client is disconnected; call connect() first.'));
    const id = randomUUID();
    const frame = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => {
      const p: Pending = { method, resolve, reject };
      this.pending.set(id, p);
      if (this.status === 'connected' && this.ws?.readyState === WebSocket.OPEN) {
        this.write(id, frame);
      } else {
        if (this.queue.length >= this.options.maxQueuedRequests) {
          this.pending.delete(id);
          reject(new RelayError(-1, `Too many requests waiting for the connection (limit ${this.options.maxQueuedRequests}).`));
          return;
        }
        this.queue.push({ frame, id });
        if (this.status === 'idle') this.connect().catch(() => {});
      }
    });
  }

  // --- connection --------------------------------------------------------------------------

  private async open(): Promise<void> {
    this.status = this.everConnected ? 'reconnecting' : 'connecting';
    const ws = new WebSocket(this.endpoint.relayUrl, { maxPayload: 10 * 1024 * 1024, perMessageDeflate: false, handshakeTimeout: this.options.requestTimeoutMs });
    this.ws = ws;
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', (err) => reject(new RelayError(-1, `Cannot reach ${this.endpoint.relayUrl}: ${err.message}`)));
        ws.once('close', (code) => reject(new RelayError(-1, `The connection closed (${code}) before it opened.`)));
      });
    } catch (err) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      if (this.ws === ws) this.ws = null;
      if ((this.status as Status) !== 'closed') this.status = this.everConnected ? 'reconnecting' : 'idle';
      throw err;
    }
    ws.removeAllListeners('error');
    ws.on('error', (err) => this.logger.debug?.('socket error', err));
    ws.on('message', (data) => this.onFrame(data.toString()));
    ws.once('close', () => this.onClose(ws));

    const params: ConnectParams = {
      version: RELAY_PROTOCOL_VERSION,
      agent: SDK_AGENT,
      event_acks: true,
      authentication: { project: this.project, token: this.token },
      ...(this.contextSet.size ? { contexts: [...this.contextSet] } : {}),
      ...(this.protocol ? { protocol: this.protocol } : {}),
      ...(this.protocol && this.authState ? { authorization_state: this.authState } : {}),
    };
    let result: ConnectResult;
    try {
      const id = randomUUID();
      result = (await new Promise<Record<string, unknown>>((resolve, reject) => {
        this.pending.set(id, { method: METHOD_CONNECT, resolve, reject });
        this.write(id, JSON.stringify({ jsonrpc: '2.0', id, method: METHOD_CONNECT, params }));
      })) as unknown as ConnectResult;
    } catch (err) {
      ws.removeAllListeners('close');
      ws.terminate();
      if (this.ws === ws) this.ws = null;
      if ((this.status as Status) !== 'closed') this.status = this.everConnected ? 'reconnecting' : 'idle';
      throw err;
    }
    const previous = this.protocol;
    this.protocol = result.protocol ?? this.protocol;
    this.restored = result.session_restored === true;
    this.status = 'connected';
    this.everConnected = true;
    this.attempt = 0;
    this.startPing();
    const queued = this.queue.splice(0);
    for (const q of queued) if (this.pending.has(q.id)) this.write(q.id, q.frame);
    if (previous && !result.session_restored && this.tracked.size && this.options.reconcile) void this.reconcile();
  }

  private write(id: string, frame: string): void {
    const p = this.pending.get(id);
    if (p && !p.timer) {
      p.timer = setTimeout(() => {
        this.pending.delete(id);
        p.reject(new RelayTimeoutError(`${p.method} got no answer within ${this.options.requestTimeoutMs} ms.`));
        // No answer in time: the socket is probably half-open; start over (connect itself just fails).
        if (p.method !== METHOD_CONNECT) this.ws?.terminate();
      }, this.options.requestTimeoutMs);
    }
    this.ws?.send(frame);
  }

  private onClose(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.stopPing();
    this.failPending(new RelayError(-1, 'The connection closed before the answer came.'));
    if (this.status === 'closed') return;
    if (!this.everConnected) {
      this.status = 'idle';
      return;
    }
    this.status = 'reconnecting';
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.status === 'closed') return;
    const delay = this.backoff(this.attempt++);
    this.logger.info?.(`reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.status === 'closed') return;
      this.connect().catch((err: unknown) => {
        if (err instanceof RelayError && err.code === -32002) {
          this.logger.error?.('reconnect refused: authentication failed; giving up', err);
          void this.disconnect();
          return;
        }
        this.status = 'reconnecting';
        this.scheduleReconnect();
      });
    }, delay);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.options.reconnectMaxDelayMs, this.options.reconnectMinDelayMs * 2 ** Math.min(attempt, 16));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  private takePending(id: string): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (p?.timer) clearTimeout(p.timer);
    return p;
  }

  private failPending(err: RelayError): void {
    for (const [id, p] of this.pending) {
      if (this.queue.some((q) => q.id === id)) continue;
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private startPing(): void {
    this.stopPing();
    this.pingFailures = 0;
    this.pingTimer = setInterval(() => {
      if (this.status !== 'connected') return;
      this.request(METHOD_PING, { timestamp: Date.now() / 1000 }).then(
        () => (this.pingFailures = 0),
        () => {
          if (++this.pingFailures >= 3) this.ws?.terminate();
        },
      );
    }, this.options.pingIntervalMs);
    this.pingTimer.unref?.();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  // --- frames ------------------------------------------------------------------------------

  private onFrame(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.logger.warn?.('ignored a frame that is not JSON');
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
    const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? String(msg.id) : null;
    if (msg.method === undefined) {
      if (id) this.onResponse(id, msg);
      return;
    }
    const params = (msg.params ?? {}) as Record<string, unknown>;
    if (msg.method === METHOD_EVENT) {
      if (msg.id !== undefined) this.answer(msg.id, {});
      if (id && this.isRepeat(id)) return;
      this.onEvent(params);
    } else if (msg.method === METHOD_PING) {
      const echo: Record<string, unknown> = {};
      if (params.timestamp !== undefined) echo.timestamp = params.timestamp;
      if (params.payload !== undefined) echo.payload = params.payload;
      if (msg.id !== undefined) this.answer(msg.id, echo);
    } else if (msg.method === METHOD_DISCONNECT) {
      if (msg.id !== undefined) this.answer(msg.id, {});
      if (params.restart === true) {
        this.protocol = '';
        this.authState = '';
      }
    } else if (msg.id !== undefined) {
      this.ws?.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${String(msg.method)}` } }));
    }
  }

  private answer(id: unknown, result: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, result }));
  }

  /** Replays after a resume reuse event ids: remember recent ones. */
  private isRepeat(id: string): boolean {
    if (this.seenEvents.has(id)) return true;
    this.seenEvents.add(id);
    if (this.seenEvents.size > 5_000) {
      const oldest = this.seenEvents.values().next().value;
      if (oldest !== undefined) this.seenEvents.delete(oldest);
    }
    return false;
  }

  private onResponse(id: string, msg: Record<string, unknown>): void {
    const p = this.takePending(id);
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
    if (p.method !== METHOD_CONNECT && !isSuccessCode(r.code)) {
      const code = Number.parseInt(String(r.code), 10);
      p.reject(new RelayError(Number.isNaN(code) ? -1 : code, String(r.message ?? 'Unknown error'), r.data));
      return;
    }
    p.resolve(r);
  }

  private onEvent(envelope: Record<string, unknown>): void {
    const type = envelope.event_type;
    const inner = (envelope.params ?? {}) as Record<string, unknown>;
    if (type === EVENT_AUTHORIZATION_STATE) {
      if (typeof inner.authorization_state === 'string') this.authState = inner.authorization_state;
    } else if (type === EVENT_MESSAGING_STATE) {
      const id = String(inner.message_id ?? '');
      const message = this.tracked.get(id);
      if (!message) {
        this.keepEarly(id, envelope);
        return;
      }
      message._apply(RelayEvent.fromEnvelope<MessagingStateEventData>(envelope));
      if (message.isDone) this.tracked.delete(message.messageId);
    } else if (type === EVENT_MESSAGING_RECEIVE) {
      const d = inner as unknown as MessagingReceiveEventData;
      const message = new Message({
        messageId: d.message_id ?? '',
        context: d.context ?? '',
        direction: 'inbound',
        fromNumber: d.from_number ?? '',
        toNumber: d.to_number ?? '',
        body: d.body ?? '',
        media: d.media ?? [],
        segments: d.segments ?? 0,
        state: 'received',
        tags: d.tags ?? [],
      });
      if (this.inboundHandlers.length === 0) this.logger.warn?.(`inbound message ${message.messageId} on ${message.context} but no onMessage handler`);
      for (const h of this.inboundHandlers) {
        try {
          const r = h(message);
          if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (err: unknown) => this.logger.error?.('onMessage handler failed', err));
        } catch (err) {
          this.logger.error?.('onMessage handler failed', err);
        }
      }
    }
  }

  private keepEarly(id: string, envelope: Record<string, unknown>): void {
    if (!id) return;
    const list = this.early.get(id);
    if (list) {
      if (list.length < 8) list.push(envelope);
      return;
    }
    if (this.early.size >= 1_000) {
      const oldest = this.early.keys().next().value;
      if (oldest !== undefined) this.early.delete(oldest);
    }
    this.early.set(id, [envelope]);
  }

  /** The server lost the session: ask the REST API where each in-flight message stands. */
  private async reconcile(): Promise<void> {
    this.rest ??= new RestClient({ project: this.project, token: this.token, host: this.endpoint.restUrl });
    const rest = this.rest;
    const messages = [...this.tracked.values()];
    let next = 0;
    const worker = async () => {
      while (next < messages.length) {
        const m = messages[next++]!;
        try {
          const log = await rest.messaging.getLog(m.messageId);
          if (log.status === m.state || m.isDone) continue;
          const errorKey = log.error_code ? errorKeyForCompatCode(Number(log.error_code)) : undefined;
          const failed = log.status === 'undelivered' || log.status === 'failed';
          const params: MessagingStateEventData = {
            message_id: m.messageId,
            context: m.context,
            direction: 'outbound',
            from_number: m.fromNumber,
            to_number: m.toNumber,
            body: m.body,
            media: [...m.media],
            segments: log.number_of_segments,
            tags: [...m.tags],
            message_state: log.status as MessagingStateEventData['message_state'],
            ...(failed ? { reason: errorKey ? ERRORS[errorKey].native : (log.error_code ?? 'unknown_error') } : {}),
          };
          m._apply(new RelayEvent(EVENT_MESSAGING_STATE, params, Date.now() / 1000, true));
          if (m.isDone) this.tracked.delete(m.messageId);
        } catch (err) {
          this.logger.warn?.(`could not look up message ${m.messageId} after a reconnect`, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, messages.length) }, worker));
  }
}
