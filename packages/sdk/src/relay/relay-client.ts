/**
 * `RelayClient`: one WebSocket to a RELAY server (Switchboard or SignalWire) speaking JSON-RPC.
 * It authenticates with `signalwire.connect`, acks and routes events, keeps requests to 10 s,
 * queues requests while disconnected (bounded), reconnects with backoff and resumes its session
 * (`protocol` + `authorization_state`), so in-flight messages keep receiving their state events.
 * When the server could not restore the session (it restarted), the client asks the REST API for
 * the current state of every message still in flight, so no terminal state is lost.
 *
 * This file composes the parts: the connection (`connection.ts`), the requests (`requests.ts`),
 * the events (`events.ts`) and the reconcile after a lost session (`reconcile.ts`).
 */
import { METHOD_MESSAGING_SEND, METHOD_RECEIVE, METHOD_UNRECEIVE, backoffDelay, type BackoffPolicy, type MessagingSendParams, type MessagingSendResult } from '@switchboard/protocol';
import type WebSocket from 'ws';
import { resolveCredentials, resolveEndpoint, type Endpoint } from '../endpoint.js';
import { RelayConnection } from './connection.js';
import { RelayEvents, type InboundMessageHandler } from './events.js';
import { Message, type CompletedHandler } from './message.js';
import { Reconciler } from './reconcile.js';
import { RelayError } from './relay-error.js';
import { consoleLogger, type RelayLogger } from './relay-logger.js';
import { Requests } from './requests.js';

// Public names that moved to the parts; index.ts still takes them from here.
export { SDK_AGENT } from './connection.js';
export type { InboundMessageHandler } from './events.js';
export type { RelayLogger } from './relay-logger.js';

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

/** A RELAY client: send messages, track their state, receive inbound messages by context. */
export class RelayClient {
  /** Project ID. */
  readonly project: string;
  /** The RELAY WebSocket URL and the REST base URL. */
  readonly endpoint: Endpoint;

  private readonly logger: RelayLogger;
  private readonly contextSet: Set<string>;
  private readonly backoff: BackoffPolicy;
  private readonly connection: RelayConnection;
  private readonly requests: Requests;
  private readonly events: RelayEvents;
  private readonly reconciler: Reconciler | null;

  /**
   * @param options credentials, host, contexts and tuning; credentials and host fall back to
   *   `SIGNALWIRE_PROJECT_ID`, `SIGNALWIRE_API_TOKEN` and `SIGNALWIRE_SPACE`
   */
  constructor(options: RelayClientOptions = {}) {
    const { project, token, host } = resolveCredentials(options);
    this.project = project;
    this.endpoint = resolveEndpoint(host);
    this.contextSet = new Set(options.contexts ?? []);
    this.logger = options.logger ?? consoleLogger;
    this.backoff = { initialMs: options.reconnectMinDelayMs ?? 1_000, maxMs: options.reconnectMaxDelayMs ?? 30_000, jitter: 0.25 };
    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    // The parts call each other only through these hooks, which run after the constructor.
    this.connection = new RelayConnection(
      { url: this.endpoint.relayUrl, authentication: { project, token }, contexts: this.contextSet, handshakeTimeoutMs: requestTimeoutMs, pingIntervalMs: options.pingIntervalMs ?? 30_000, backoff: this.backoff, logger: this.logger },
      {
        request: (method, params) => this.requests.send(method, params),
        requestNow: (method, params) => this.requests.sendNow(method, params),
        onResponse: (id, frame) => this.requests.settle(id, frame),
        onEvent: (id, params) => this.events.handle(id, params),
        onConnected: (sessionLost) => {
          this.requests.flush();
          if (sessionLost) void this.reconciler?.run();
        },
        onClosed: (err) => this.requests.failSent(err),
        onFirstConnectFailed: (err) => this.requests.failQueued(err),
        onRefused: () => void this.disconnect(),
      },
    );
    this.requests = new Requests(this.connection, { timeoutMs: requestTimeoutMs, maxQueued: options.maxQueuedRequests ?? 500 });
    this.events = new RelayEvents(this.logger, {
      ack: (id) => this.connection.answer(id, {}),
      onAuthorizationState: (state) => this.connection.setAuthorizationState(state),
    });
    this.reconciler = (options.reconcile ?? true) ? new Reconciler({ project, token, host: this.endpoint.restUrl }, this.events, this.logger) : null;
  }

  /** Contexts this client receives inbound messages on. */
  get contexts(): string[] {
    return [...this.contextSet];
  }

  /** The session name the server assigned (empty before the first connect). */
  get relayProtocol(): string {
    return this.connection.relayProtocol;
  }

  /** Whether the last connect resumed the earlier session (its contexts and missed events). */
  get sessionRestored(): boolean {
    return this.connection.sessionRestored;
  }

  /** True while authenticated on an open socket. */
  get isConnected(): boolean {
    return this.connection.status === 'connected';
  }

  /** The socket, for tests that cut it as a network failure would. */
  private get ws(): WebSocket | null {
    return this.connection.socket;
  }

  /**
   * Open the WebSocket and authenticate. Resolves once connected; rejects with a `RelayError`
   * when the server refuses (e.g. -32002 for bad credentials) or cannot be reached.
   */
  async connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Close the connection for good: no reconnect; pending requests and waits are rejected. */
  async disconnect(): Promise<void> {
    await this.connection.close();
    this.requests.failAll(new RelayError(-1, 'The client disconnected.'));
    this.events.abandonAll('The client disconnected before the message completed.');
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
          const delay = backoffDelay(this.backoff, failures);
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
    this.events.onMessage(handler);
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
    const context = options.context ?? (this.relayProtocol || 'default');
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
    this.events.track(message);
    return message;
  }

  /**
   * Send any JSON-RPC request and return its `result` (rejecting on a JSON-RPC error or a non-2xx
   * result code). Queued while disconnected.
   */
  request(method: string, params: unknown): Promise<Record<string, unknown>> {
    return this.requests.send(method, params);
  }
}
