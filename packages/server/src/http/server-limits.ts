/**
 * Limits of the node HTTP servers themselves (the plain listener and the HTTPS one alike), applied
 * before a request reaches Fastify or RELAY:
 *
 * - header and request timeouts, checked often enough to matter, so an incomplete request
 *   (slowloris) holds its connection for `http.headersTimeoutMs` at most, a slow body for
 *   `http.requestTimeoutMs`; a TLS handshake gets the header timeout too;
 * - open connections per client address (HTTP, HTTPS and RELAY WebSockets together, loopback
 *   included), so one client cannot hold every slot of `http.maxConnections`;
 * - one answer for requests the HTTP parser refuses (timeout 408, headers too large 431, not
 *   HTTP 400): a JSON body both REST shapes can read, on HTTP and HTTPS alike;
 * - a body over the limit is not read to keep its connection: the answer (413, or any given before
 *   the body arrived) closes it, after a short linger reading and dropping what the client still
 *   sends, so the client, still sending, reads the answer instead of a reset connection, and one
 *   that has stopped sending does not hold the connection (see `lingerUntilRead`); one announced
 *   with `Expect: 100-continue` gets the 413 instead of the 100, before it is sent;
 * - answers a client does not read: pipelined requests served one at a time, connections whose
 *   answer stalls closed (unread-answers.ts);
 * - over TLS: client-initiated renegotiation refused, and connections that have not finished
 *   their handshake dropped at once when the server closes (`closeUnfinishedHandshakes`); the
 *   handshakes themselves paced per address (`handshakes`, installed by `paceHandshakes`).
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ErrorKey } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { clientAddressKey, clientNetworkKey } from '../util/client-address.js';
import { rawErrorBody, rawErrorResponse } from './raw-error-response.js';
import { UnreadAnswers } from './unread-answers.js';
import { AddressWarnings } from '../util/address-warnings.js';
import { formPairsExceed } from '../util/form-pairs.js';
import { HandshakePacer } from './handshake-pacing.js';

export interface ServerLimitOptions {
  /** Time to receive a request's headers (and to complete a TLS handshake) (ms). */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, body included (ms). */
  readonly requestTimeoutMs: number;
  /** Open connections per listener. */
  readonly maxConnections: number;
  /** Open connections from one client address, all listeners together. */
  readonly maxConnectionsPerAddress: number;
  /** Open connections from the /64s of one IPv6 /48 together (`clientNetworkKey`); unlimited when not given. */
  readonly maxConnectionsPerNetwork?: number;
  /** The request body limit (larger bodies get 413, their connection closed after a short linger). */
  readonly bodyLimitBytes: number;
  /** How long a connection's unwritten answer may make no progress before the connection is closed (ms); default 30 s. */
  readonly answerStallMs?: number;
  /** TLS handshakes one address may start per second, and at once (handshake-pacing.ts); defaults there. */
  readonly handshakesPerSecondPerAddress?: number;
  readonly handshakeBurstPerAddress?: number;
}

/** The most bytes of a refused body read (and dropped) so its sender sees the 413. */
function drainLimitBytes(bodyLimitBytes: number): number {
  return Math.max(16 * 1024 * 1024, 4 * bodyLimitBytes);
}

/**
 * A connection closing after an answer to a body not read lingers, reading and dropping, while the
 * client keeps sending: it is closed once nothing arrived for LINGER_IDLE_MS, and at the latest
 * LINGER_MAX_MS after the answer was written (as Apache's lingering close, which reads for 2 s).
 */
const LINGER_IDLE_MS = 1_000;
const LINGER_MAX_MS = 5_000;

/** An address kept at its connection cap is logged at most this often. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** The first byte of a TLS handshake record (the ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;

/** How long an error answer may take to be written before its connection is dropped anyway. */
const ANSWER_WRITE_TIMEOUT_MS = 1_000;

/** How often a server looks for connections past their timeouts: a quarter of the header timeout, 100 ms to 5 s. */
function checkingIntervalMs(headersTimeoutMs: number): number {
  return Math.min(5_000, Math.max(100, Math.floor(headersTimeoutMs / 4)));
}

/**
 * The most parameters a query string may hold. The router parses the whole query before any route
 * or hook runs, and a query of ~4,000 short distinct names (within the 16 KB header limit) took
 * 5–14 ms to parse: 600 of them at once held another client's request 3.8 s. No list takes more
 * than a few dozen filters.
 */
export const MAX_QUERY_PARAMS = 200;

/** Whether `url`'s query holds more than MAX_QUERY_PARAMS parameters (counted by their separators, not parsed). */
export function tooManyQueryParams(url: string | undefined): boolean {
  const q = url?.indexOf('?') ?? -1;
  return q !== -1 && formPairsExceed(url!, MAX_QUERY_PARAMS, q);
}

/** The answer to a query over the bound: 400 with the body both REST shapes read, the connection closed (the request is not read further). */
function refuseQuery(res: ServerResponse): void {
  const { status, body } = rawErrorBody('MALFORMED_REQUEST', `The query string holds more than ${MAX_QUERY_PARAMS} parameters; send fewer.`);
  res.shouldKeepAlive = false;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** What the HTTP parser's error means for the client. */
function clientErrorKey(code: string | undefined): ErrorKey {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  if (code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  return 'MALFORMED_REQUEST';
}

/**
 * Connections of each TLS listener that have not finished their handshake (waiting for their first
 * bytes, or in the handshake): no request can be in flight on them, so a closing server drops them
 * at once (`closeUnfinishedHandshakes`). Node's `closeIdleConnections` and `closeAllConnections`
 * know only connections past their handshake; these held a stop for up to twice the header timeout.
 */
const unfinishedHandshakes = new WeakMap<HttpsServer, Set<Socket>>();

/** Drop the connections of `server` (a TLS listener given to `ServerLimits.apply`) still before their handshake's end. */
export function closeUnfinishedHandshakes(server: HttpsServer): void {
  for (const socket of unfinishedHandshakes.get(server) ?? []) socket.destroy();
}

/**
 * The node-level limits of one process, shared by its listeners (the per-address count spans
 * them all). `apply` each server before it listens.
 */
export class ServerLimits {
  /** Open connections by client address (`clientAddressKey`) and by IPv6 network (`clientNetworkKey`). */
  private readonly perAddress = new Map<string, number>();
  /** Addresses at their cap, logged at most once a minute each. */
  private readonly warnings: AddressWarnings;
  /** Sockets whose refused body is being read and dropped: no further answer goes on them. */
  private readonly draining = new WeakSet<Duplex>();
  /** Sockets given their error answer, closing once it is written. */
  private readonly answered = new WeakSet<Duplex>();
  private readonly unread: UnreadAnswers;
  /** When a TLS handshake on a plain HTTP port was last logged. */
  private tlsOnPlainLoggedAt = -Infinity;
  /** The TLS listeners' handshakes, paced per address (`paceHandshakes`). */
  readonly handshakes: HandshakePacer;

  constructor(
    readonly options: ServerLimitOptions,
    private readonly logger: Logger,
  ) {
    this.unread = new UnreadAnswers(options.answerStallMs ?? 30_000, logger);
    this.warnings = new AddressWarnings(logger, REFUSAL_LOG_INTERVAL_MS);
    this.handshakes = new HandshakePacer(options.handshakesPerSecondPerAddress, options.handshakeBurstPerAddress);
  }

  /** Apply the timeouts, the connection caps and the error answers to a server (before it listens). */
  apply(server: HttpServer | HttpsServer, opts: { readonly tls: boolean }): void {
    const o = this.options;
    server.requestTimeout = o.requestTimeoutMs;
    server.headersTimeout = Math.min(o.headersTimeoutMs, o.requestTimeoutMs);
    // Read when the server starts listening (node checks every 30 s by default).
    (server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = checkingIntervalMs(o.headersTimeoutMs);
    server.maxConnections = o.maxConnections;
    // Before node's own listener: a refused connection never reaches the HTTP parser's work.
    const handshaking = new Set<Socket>();
    if (opts.tls) unfinishedHandshakes.set(server as HttpsServer, handshaking);
    server.prependListener('connection', (socket: Socket) => {
      this.admit(socket, opts.tls);
      if (!opts.tls || socket.destroyed) return;
      handshaking.add(socket);
      socket.once('close', () => handshaking.delete(socket));
    });
    // One answer for both listeners (Fastify installs its own on the plain one; node's default
    // answers HTTPS with an empty body, which the Compatibility SDK cannot parse).
    server.removeAllListeners('clientError');
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket, opts.tls));
    // The application's handlers (there when the server is made) run when a request's turn comes (unread-answers.ts).
    const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      if (tooManyQueryParams(req.url)) return refuseQuery(res);
      for (const handler of handlers) handler.call(server, req, res);
    };
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.watchBody(req, res);
      this.unread.serve(req, res, handle);
    });
    // The socket that carries the answers: over TLS the TLS socket, not the TCP one below it.
    // A client asking for a new handshake on it (TLS 1.2 renegotiation; HTTP clients never do)
    // makes the node do a handshake's work again without a new connection: refused, as nginx does.
    if (opts.tls) {
      server.on('secureConnection', (socket: TLSSocket) => {
        // The TCP connection under it (node's own field; the TLS socket has no public one).
        handshaking.delete((socket as { _parent?: Socket })._parent!);
        socket.disableRenegotiation();
        this.unread.track(socket);
      });
    }
    // Node's own answers to these carry no body (or none at all); answered here like any request:
    // a request without Host (HTTP/1.0 style) is served (links fall back to the listening address),
    // an Expect other than 100-continue is ignored, as RFC 9110 allows, and CONNECT (this is no
    // proxy) gets the JSON error instead of a closed socket.
    (server as { requireHostHeader?: boolean }).requireHostHeader = false;
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
    // Expect: 100-continue asks whether to send the body at all: one declared over the limit gets
    // its 413 instead of the 100 (RFC 9110 §10.1.1), so a client that waits never uploads it; any
    // other gets the 100 node would send.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!(Number(req.headers['content-length']) > o.bodyLimitBytes)) res.writeContinue();
      server.emit('request', req, res);
    });
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => {});
      socket.end(rawErrorResponse('MALFORMED_REQUEST', 'CONNECT is not supported: this server is not a proxy.'));
    });
  }

  private admit(socket: Socket, tls: boolean): void {
    const address = clientAddressKey(socket.remoteAddress);
    // An IPv6 client's /64s together too: one holding a /48 (or a /56) had the per-address share from each.
    const network = clientNetworkKey(socket.remoteAddress);
    const keys = network !== undefined ? [address, network] : [address];
    const full = keys.findIndex((k, i) => (this.perAddress.get(k) ?? 0) >= (i === 0 ? this.options.maxConnectionsPerAddress : (this.options.maxConnectionsPerNetwork ?? Infinity)));
    if (full >= 0) {
      const [limit, setting, what] = full === 0 ? [this.options.maxConnectionsPerAddress, 'maxConnectionsPerAddress', 'address'] : [this.options.maxConnectionsPerNetwork, 'maxConnectionsPerNetwork', 'network'];
      this.warnings.warn('connections', keys[full]!, { limit }, `refusing connections from ${full === 0 ? 'an address' : 'an IPv6 network'} at its limit of open connections (http.${setting})`);
      socket.on('error', () => {});
      // Over TLS nothing readable can be said before a handshake: just close.
      if (!tls && socket.writable) {
        socket.write(rawErrorResponse('RATE_LIMITED', `Too many open connections from your ${what} (limit ${limit}); close some and retry.`, { 'Retry-After': '1' }));
      }
      socket.destroy();
      return;
    }
    for (const k of keys) this.perAddress.set(k, (this.perAddress.get(k) ?? 0) + 1);
    if (!tls) this.unread.track(socket);
    socket.once('close', () => {
      for (const k of keys) {
        const left = (this.perAddress.get(k) ?? 1) - 1;
        if (left > 0) this.perAddress.set(k, left);
        else this.perAddress.delete(k);
      }
    });
  }

  private clientError(err: NodeJS.ErrnoException, socket: Duplex, tls: boolean): void {
    // A socket already answered may report its parser's error again for bytes read before it closes.
    if (err.code === 'ECONNRESET' || socket.destroyed || this.answered.has(socket)) return;
    // An HTTPS client (a Compatibility API SDK) given the HTTP port sees only "wrong version number":
    // say in the server's log which port it wanted, at most once a minute.
    const now = Date.now();
    if (!tls && (err as { rawPacket?: Buffer }).rawPacket?.[0] === TLS_HANDSHAKE_RECORD && now - this.tlsOnPlainLoggedAt >= REFUSAL_LOG_INTERVAL_MS) {
      this.tlsOnPlainLoggedAt = now;
      this.logger.warn({}, 'a TLS handshake came to the plain HTTP port: give HTTPS clients (the Compatibility API SDKs) the HTTPS port (https.port, 8443 by default; the start banner names it), or an http:// URL');
    }
    // As node does: answer only when no answer to this request has started on the socket.
    const current = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    // A TLS failure under the HTTP (a refused renegotiation, a corrupt record) is no request to answer.
    const tlsFailure = err.code?.startsWith('ERR_TLS_') || err.code?.startsWith('ERR_SSL_');
    if (tlsFailure || !socket.writable || current?.headersSent || this.draining.has(socket)) {
      socket.destroy();
      return;
    }
    this.answered.add(socket);
    // Closed once the answer is written, not at once: over TLS it can wait behind a write of TLS's
    // own (the session tickets sent after a handshake) that has not finished, and a destroy then
    // would drop it. Bounded, for a client that does not read. Ended with it, so nothing follows
    // it: the application may still be answering the request whose body the parser refused (a
    // malformed chunk after the headers), and that answer, written meanwhile, came second.
    const drop = setTimeout(() => socket.destroy(), ANSWER_WRITE_TIMEOUT_MS);
    socket.end(rawErrorResponse(clientErrorKey(err.code)), () => {
      clearTimeout(drop);
      socket.destroy();
    });
  }

  /**
   * A request that may carry a body over the limit. Answered before its body has arrived (413, or
   * any answer to a body declared over the limit, which node would otherwise read to the end to
   * keep the connection), the connection is closed after the answer. Not at once: node would close
   * it as soon as the answer is out, resetting it under a client still sending (EPIPE, and the
   * answer never read). It lingers instead (`lingerUntilRead`).
   */
  private watchBody(req: IncomingMessage, res: ServerResponse): void {
    const declared = Number(req.headers['content-length']);
    const overLimit = declared > this.options.bodyLimitBytes;
    if (!overLimit && req.headers['transfer-encoding'] === undefined) return;
    const socket = req.socket;
    const bound = drainLimitBytes(this.options.bodyLimitBytes);
    // Counted from the start: a 'data' listener added after node paused the socket leaves it paused.
    let read = 0;
    let draining = false;
    const count = (chunk: Buffer) => {
      read += chunk.length;
      if (draining && read > bound) socket.destroy();
    };
    socket.on('data', count);
    req.once('end', () => socket.off('data', count));
    const writeHead = res.writeHead;
    const linger = () => this.lingerUntilRead(req, socket);
    res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
      if ((statusCode === 413 || overLimit) && !req.complete && !draining) {
        draining = true;
        // Sent as `Connection: close`, and the connection closed once the answer is written.
        this.shouldKeepAlive = false;
        linger();
      }
      return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
    } as ServerResponse['writeHead'];
  }

  /**
   * Close the connection of an answered request once the answer is written and the client has
   * stopped sending its body: what arrives meanwhile is read and dropped (node drops a body no one
   * reads), and the connection is closed when the body is whole, when nothing arrived for
   * LINGER_IDLE_MS, or LINGER_MAX_MS after the answer, whichever comes first (and at once past
   * `drainLimitBytes`). Closed as node closes it, the answer flushed first.
   */
  private lingerUntilRead(req: IncomingMessage, socket: Socket): void {
    this.draining.add(socket);
    const destroySoon = socket.destroySoon;
    let lingering = false;
    let idle: NodeJS.Timeout | undefined;
    let latest: NodeJS.Timeout | undefined;
    const stillSending = () => idle?.refresh();
    const close = () => {
      clearTimeout(idle);
      clearTimeout(latest);
      socket.off('data', stillSending);
      this.draining.delete(socket);
      destroySoon.call(socket);
    };
    // Node calls this once the last answer on the connection is written.
    socket.destroySoon = function (this: Socket) {
      if (req.complete) return destroySoon.call(this);
      lingering = true;
      idle = setTimeout(close, LINGER_IDLE_MS);
      latest = setTimeout(close, LINGER_MAX_MS);
      socket.on('data', stillSending);
      req.resume();
    };
    req.once('end', () => {
      this.draining.delete(socket);
      if (lingering) close();
    });
    socket.once('close', () => {
      clearTimeout(idle);
      clearTimeout(latest);
      this.draining.delete(socket);
    });
  }
}
