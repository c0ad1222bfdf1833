/**
 * The connection of a `RelayClient`: one WebSocket at a time, authenticated with
 * `signalwire.connect`, which offers the earlier session (`protocol` + `authorization_state`) so
 * the server can resume it. Pinged while open; reconnected with backoff when it drops. It answers
 * the server's pings and disconnects itself and hands responses and events to its hooks.
 */
import { METHOD_CONNECT, METHOD_DISCONNECT, METHOD_EVENT, METHOD_PING, RELAY_PROTOCOL_VERSION, backoffDelay, type BackoffPolicy, type ConnectParams, type ConnectResult } from '@switchboard/protocol';
import WebSocket from 'ws';
import { RelayError } from './relay-error.js';
import type { RelayLogger } from './relay-logger.js';

/** The agent string sent in `signalwire.connect`. */
export const SDK_AGENT = '@switchboard/sdk/0.1.0';

/** Where a connection stands: `reconnecting` once it was connected before, `closed` after `close()` until the next `connect()`. */
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Where and how a `RelayConnection` connects. */
export interface ConnectionSettings {
  /** The RELAY WebSocket URL. */
  readonly url: string;
  /** Project ID and API token for `signalwire.connect`. */
  readonly authentication: { readonly project: string; readonly token: string };
  /** The contexts to subscribe at each connect; read each time, so later changes count. */
  readonly contexts: ReadonlySet<string>;
  /** Longest wait for the WebSocket opening handshake, in ms. */
  readonly handshakeTimeoutMs: number;
  /** Client ping interval in ms; three unanswered pings drop the socket. */
  readonly pingIntervalMs: number;
  /** Waits between reconnect attempts. */
  readonly backoff: BackoffPolicy;
  /** Where reconnects and socket errors are reported. */
  readonly logger: RelayLogger;
}

/** What a `RelayConnection` asks of the rest of the client. */
export interface ConnectionHooks {
  /** Send a request, queued while disconnected (the client's pings). */
  request(method: string, params: unknown): Promise<Record<string, unknown>>;
  /** Send a request on the socket now, never queued (the `signalwire.connect` handshake). */
  requestNow(method: string, params: unknown): Promise<Record<string, unknown>>;
  /** A response to one of the client's requests. */
  onResponse(id: string, frame: Record<string, unknown>): void;
  /** A `signalwire.event` request; `id` as the server sent it, for the ack. */
  onEvent(id: unknown, params: Record<string, unknown>): void;
  /** Authenticated; `sessionLost` when there was a session before and the server could not resume it. */
  onConnected(sessionLost: boolean): void;
  /** The socket closed: requests written on it will get no answer. */
  onClosed(err: RelayError): void;
  /** The first connect failed: requests waiting for it cannot be sent. */
  onFirstConnectFailed(err: unknown): void;
  /** A reconnect was refused for bad credentials: the client should shut down. */
  onRefused(err: RelayError): void;
}

/** One authenticated WebSocket to a RELAY server at a time, reopened until closed. */
export class RelayConnection {
  private ws: WebSocket | null = null;
  private state: ConnectionStatus = 'idle';
  private protocol = '';
  private authState = '';
  private restored = false;
  private everConnected = false;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pingFailures = 0;
  private attempt = 0;

  /**
   * @param settings where and how to connect
   * @param hooks the requests and events this connection carries
   */
  constructor(
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
  ) {}

  /** Where the connection stands. */
  get status(): ConnectionStatus {
    return this.state;
  }

  /** The open socket, if any. */
  get socket(): WebSocket | null {
    return this.ws;
  }

  /** True when a frame written now goes out on an authenticated, open socket. */
  get writable(): boolean {
    return this.state === 'connected' && this.ws?.readyState === WebSocket.OPEN;
  }

  /** The session name the server assigned (empty before the first connect, or after a restart notice). */
  get relayProtocol(): string {
    return this.protocol;
  }

  /** Whether the last connect resumed the earlier session. */
  get sessionRestored(): boolean {
    return this.restored;
  }

  /** Keep the server's latest `authorization_state`, offered back when resuming. */
  setAuthorizationState(state: string): void {
    this.authState = state;
  }

  /** Open the socket and authenticate; concurrent calls share one attempt. */
  connect(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.connecting) return this.connecting;
    if (this.state === 'closed') this.state = 'idle';
    this.connecting = this.open()
      .catch((err: unknown) => {
        if (!this.everConnected) this.hooks.onFirstConnectFailed(err);
        throw err;
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  /** Close for good: no reconnect. Resolves once the socket closed (or after 1 s). */
  async close(): Promise<void> {
    this.state = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
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

  /** Write one frame on the socket. */
  send(frame: string): void {
    this.ws?.send(frame);
  }

  /** Drop the socket without a goodbye (it is probably half-open); a reconnect follows. */
  drop(): void {
    this.ws?.terminate();
  }

  /** Answer a request of the server, if the socket is still open. */
  answer(id: unknown, result: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, result }));
  }

  private async open(): Promise<void> {
    this.state = this.everConnected ? 'reconnecting' : 'connecting';
    const { url } = this.settings;
    const ws = new WebSocket(url, { maxPayload: 10 * 1024 * 1024, perMessageDeflate: false, handshakeTimeout: this.settings.handshakeTimeoutMs });
    this.ws = ws;
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', (err) => reject(new RelayError(-1, `Cannot reach ${url}: ${err.message}`)));
        // Without this, ws says only "Unexpected server response: 400": the answer says why (a plain
        // ws:// request to Switchboard's HTTPS port is told the https:// address to use instead).
        ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => void (body.length < 2000 && (body += chunk)));
          res.on('error', () => reject(new RelayError(-1, `Cannot reach ${url}: the server answered ${res.statusCode ?? '?'}`)));
          res.on('end', () => reject(new RelayError(-1, `Cannot reach ${url}: the server answered ${res.statusCode ?? '?'}${answerReason(body)}`)));
        });
        ws.once('close', (code) => reject(new RelayError(-1, `The connection closed (${code}) before it opened.`)));
      });
    } catch (err) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      this.abandon(ws);
      throw err;
    }
    ws.removeAllListeners('error');
    ws.on('error', (err) => this.settings.logger.debug?.('socket error', err));
    ws.on('message', (data) => this.onFrame(data.toString()));
    ws.once('close', () => this.onClose(ws));

    let result: ConnectResult;
    try {
      result = (await this.hooks.requestNow(METHOD_CONNECT, this.connectParams())) as unknown as ConnectResult;
    } catch (err) {
      ws.removeAllListeners('close');
      ws.terminate();
      this.abandon(ws);
      throw err;
    }
    const previous = this.protocol;
    this.protocol = result.protocol ?? this.protocol;
    this.restored = result.session_restored === true;
    this.state = 'connected';
    this.everConnected = true;
    this.attempt = 0;
    this.startPing();
    this.hooks.onConnected(previous !== '' && !this.restored);
  }

  /** Offer the earlier session, if any, so the server can resume it. */
  private connectParams(): ConnectParams {
    const { authentication, contexts } = this.settings;
    return {
      version: RELAY_PROTOCOL_VERSION,
      agent: SDK_AGENT,
      event_acks: true,
      authentication,
      ...(contexts.size ? { contexts: [...contexts] } : {}),
      ...(this.protocol ? { protocol: this.protocol } : {}),
      ...(this.protocol && this.authState ? { authorization_state: this.authState } : {}),
    };
  }

  /** A socket that failed to open or authenticate: forget it, unless closed meanwhile. */
  private abandon(ws: WebSocket): void {
    if (this.ws === ws) this.ws = null;
    if ((this.state as ConnectionStatus) !== 'closed') this.state = this.everConnected ? 'reconnecting' : 'idle';
  }

  private onClose(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.stopPing();
    this.hooks.onClosed(new RelayError(-1, 'The connection closed before the answer came.'));
    if (this.state === 'closed') return;
    if (!this.everConnected) {
      this.state = 'idle';
      return;
    }
    this.state = 'reconnecting';
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.state === 'closed') return;
    const delay = backoffDelay(this.settings.backoff, this.attempt++);
    this.settings.logger.info?.(`reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'closed') return;
      this.connect().catch((err: unknown) => {
        if (err instanceof RelayError && err.code === -32002) {
          this.settings.logger.error?.('reconnect refused: authentication failed; giving up', err);
          this.hooks.onRefused(err);
          return;
        }
        this.state = 'reconnecting';
        this.scheduleReconnect();
      });
    }, delay);
  }

  private startPing(): void {
    this.stopPing();
    this.pingFailures = 0;
    this.pingTimer = setInterval(() => {
      if (this.state !== 'connected') return;
      this.hooks.request(METHOD_PING, { timestamp: Date.now() / 1000 }).then(
        () => (this.pingFailures = 0),
        () => {
          if (++this.pingFailures >= 3) this.drop();
        },
      );
    }, this.settings.pingIntervalMs);
    this.pingTimer.unref?.();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private onFrame(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.settings.logger.warn?.('ignored a frame that is not JSON');
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
    if (msg.method === undefined) {
      if (typeof msg.id === 'string' || typeof msg.id === 'number') this.hooks.onResponse(String(msg.id), msg);
      return;
    }
    const params = (msg.params ?? {}) as Record<string, unknown>;
    if (msg.method === METHOD_EVENT) {
      this.hooks.onEvent(msg.id, params);
    } else if (msg.method === METHOD_PING) {
      const echo: Record<string, unknown> = {};
      if (params.timestamp !== undefined) echo.timestamp = params.timestamp;
      if (params.payload !== undefined) echo.payload = params.payload;
      if (msg.id !== undefined) this.answer(msg.id, echo);
    } else if (msg.method === METHOD_DISCONNECT) {
      if (msg.id !== undefined) this.answer(msg.id, {});
      // The server restarts and will not know this session: the next connect starts a new one.
      if (params.restart === true) {
        this.protocol = '';
        this.authState = '';
      }
    } else if (msg.id !== undefined) {
      this.ws?.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${String(msg.method)}` } }));
    }
  }
}

/** The `message` of a JSON error answer to the WebSocket upgrade, as `: …`, or nothing. */
function answerReason(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' && message ? `: ${message}` : '';
  } catch {
    return '';
  }
}
