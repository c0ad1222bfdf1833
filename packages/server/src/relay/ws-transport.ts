/**
 * RELAY over WebSocket at the root path `/` of an HTTP or HTTPS server: `ws` in noServer mode on
 * the server's `upgrade` event, so it works on any node `http.Server`/`https.Server` (Fastify's
 * `app.server` included) while plain GET `/` stays with the HTTP app. No subprotocol, no header
 * authentication (the first JSON-RPC request authenticates), permessage-deflate declined (its
 * per-connection zlib state would cost more memory than an idle session).
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { clientAddressKey } from '../util/client-address.js';
import { hardFrameBytes } from './limits.js';
import type { RelayService } from './relay-service.js';
import type { RelayTransport } from './transport.js';

class WsTransport implements RelayTransport {
  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
  ) {}
  send(frame: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame);
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
  pause(): void {
    this.ws.pause();
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

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/**
 * Serve RELAY on `server` (call once per listening server). Returns a function that detaches it.
 * Upgrades on other paths are left to other listeners, or refused with 404 when there are none.
 */
export function attachRelayTransport(server: HttpServer | HttpsServer, relay: RelayService): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: hardFrameBytes(relay.limits), perMessageDeflate: false, clientTracking: false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/') {
      if (server.listenerCount('upgrade') <= 1) refuse(socket, 404, 'Not Found');
      return;
    }
    socket.on('error', () => socket.destroy());
    if (relay.isClosing) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = relay.open(new WsTransport(ws, clientAddressKey((socket as Partial<Socket>).remoteAddress)));
      ws.on('message', (data, isBinary) => conn.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data), isBinary));
      // Without permessage-deflate, everything ws queues is the socket's own write buffer.
      socket.on('drain', () => conn.drained());
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
