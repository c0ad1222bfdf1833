/**
 * RELAY over WebSocket at the root path `/` of an HTTP or HTTPS server: `ws` in noServer mode on
 * the server's `upgrade` event, so it works on any node `http.Server`/`https.Server` (Fastify's
 * `app.server` included) while plain GET `/` stays with the HTTP app. No subprotocol, no header
 * authentication (the first JSON-RPC request authenticates), permessage-deflate declined (its
 * per-connection zlib state would cost more memory than an idle session).
 */
import { ServerResponse, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ErrorKey } from '@switchboard/protocol';
import { clientAddressKey } from '../util/client-address.js';
import { hardFrameBytes } from './limits.js';
import type { RelayService } from './relay-service.js';
import type { RelayTransport } from './transport.js';

/** Bytes a client frame of `payload` bytes takes on the wire: header, masking key, payload (RFC 6455 §5.2). */
function clientFrameBytes(payload: number): number {
  return 6 + (payload > 65_535 ? 8 : payload > 125 ? 2 : 0) + payload;
}

const NOTHING = Buffer.alloc(0);

class WsTransport implements RelayTransport {
  /** Bytes read from the socket less those of the frames `ws` has handed over (a fragmented message's extra headers stay counted). */
  private unframed = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly socket: Duplex,
    /** Everything queued on the socket has been written out. */
    private readonly onDrained: () => void,
  ) {}
  send(frame: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame);
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
  get receivingBytes(): number {
    return Math.max(0, this.unframed);
  }
  /** Bytes read from the socket. */
  read(bytes: number): void {
    this.unframed += bytes;
  }
  /** A whole frame (a message, or a ping or pong) of `payload` bytes was handed over. */
  framed(payload: number): void {
    this.unframed -= clientFrameBytes(payload);
  }
  pause(): void {
    this.ws.pause();
    // Reading resumes once the socket's queue is written out. The socket's 'drain' does not say so
    // here: it follows only a write that found the queue over its high-water mark (16 KiB on Node 20,
    // 64 KiB from Node 22), and reading stops from an eighth of relay.maxSocketBufferBytes, which can
    // be less, so the connection would stay paused. An empty write's callback runs once everything
    // queued before it is written.
    if (this.socket.writable) this.socket.write(NOTHING, () => this.onDrained());
  }
  resume(): void {
    this.ws.resume();
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
  terminate(): void {
    this.ws.terminate();
  }
}

/**
 * A whole HTTP/1.1 error answer that closes its connection, for a catalogue entry with this
 * message: the server's raw answer (http/raw-error-response.ts), one JSON body both REST shapes
 * can read, since a refused upgrade may be aimed at either surface. Given by the composition root,
 * as RELAY does not import the HTTP surface.
 */
export type RawRefusal = (key: ErrorKey, message: string, headers?: Record<string, string>) => string;

/**
 * A WebSocket handshake at / that `ws` refuses (another method than GET, a missing or malformed
 * Sec-WebSocket-Key, Sec-WebSocket-Version, -Protocol or -Extensions header), answered in JSON like
 * the server's other refusals rather than `ws`'s own text/html. `ws` calls this instead of writing
 * its answer once the server listens for 'wsClientError'; `err.message` is its description.
 */
function refuseHandshake(refusal: RawRefusal, err: Error, socket: Duplex, req: IncomingMessage): void {
  const message = `Not a valid WebSocket handshake for RELAY: ${err.message}.`;
  if (req.method !== 'GET') {
    socket.end(refusal('METHOD_NOT_ALLOWED', `A RELAY WebSocket is opened with GET, not ${String(req.method).slice(0, 20)}.`, { Allow: 'GET' }));
    return;
  }
  const version = Number(req.headers['sec-websocket-version']);
  // RFC 6455 §4.2.2: a refused version names the versions the server speaks.
  socket.end(refusal('MALFORMED_REQUEST', message, version === 13 || version === 8 ? {} : { 'Sec-WebSocket-Version': '13, 8' }));
}

/**
 * An upgrade that is not RELAY's (`Upgrade: h2c` from `curl --http2`, a WebSocket on another path)
 * answered as the plain request it also is: node hands every upgrade to 'upgrade' listeners once
 * there is one, so without this every such request got 404 whatever its route. Only a request
 * without a body (its body would not reach the app: the HTTP parser is gone); the connection closes
 * after the answer. Returns false when it has a body.
 */
function serveWithoutUpgrade(server: HttpServer | HttpsServer, req: IncomingMessage, socket: Duplex): boolean {
  if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) return false;
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  server.emit('request', req, res);
  return true;
}

/**
 * Serve RELAY on `server` (call once per listening server). Returns a function that detaches it.
 * Upgrades on other paths are left to other listeners or, when there are none, answered as plain
 * requests (`serveWithoutUpgrade`).
 */
export function attachRelayTransport(server: HttpServer | HttpsServer, relay: RelayService, refusal: RawRefusal): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: hardFrameBytes(relay.limits), perMessageDeflate: false, clientTracking: false });
  wss.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => refuseHandshake(refusal, err, socket, req));
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    const websocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (path !== '/' || !websocket) {
      if (server.listenerCount('upgrade') > 1) return;
      socket.on('error', () => socket.destroy());
      if (!serveWithoutUpgrade(server, req, socket)) socket.end(refusal('MALFORMED_REQUEST', 'Only a RELAY WebSocket upgrade at / is supported: send this request without an Upgrade header.'));
      return;
    }
    socket.on('error', () => socket.destroy());
    if (relay.isClosing) {
      socket.end(refusal('UNAVAILABLE', 'The server is shutting down: connect again shortly.', { 'Retry-After': '1' }));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = new WsTransport(ws, clientAddressKey((socket as Partial<Socket>).remoteAddress), socket, () => conn.drained());
      const conn = relay.open(transport);
      ws.on('message', (data, isBinary) => {
        const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        transport.framed(frame.length);
        conn.receive(frame, isBinary);
      });
      ws.on('ping', (data) => {
        transport.framed(data.length);
        conn.controlFrame(data.length + 6, true);
      });
      ws.on('pong', (data) => {
        transport.framed(data.length);
        conn.controlFrame(data.length + 6, false);
      });
      // After ws's own listener (it feeds the frame parser): what is still unframed is a frame partly received.
      socket.on('data', (chunk: Buffer) => {
        transport.read(chunk.length);
        conn.receiving();
      });
      ws.on('close', () => conn.closed());
      // Oversized frames (1009) and protocol errors end in 'close'; nothing else to do here.
      ws.on('error', () => {});
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    wss.close();
  };
}
