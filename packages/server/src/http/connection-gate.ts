/**
 * Hold back the 'connection' listeners a server has now (on a TLS server, node's TLS wrap) and call
 * them for a connection only when `gate` lets it through (`proceed`), or never (a refused one).
 * Listeners added later, or prepended, still run at accept. How plain HTTP on the HTTPS port is
 * answered (plain-http-on-https.ts) and how handshakes are paced (handshake-pacing.ts): each
 * installed in turn wraps what was there before it.
 */
import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';

export function gateConnections(server: TlsServer, gate: (socket: Socket, proceed: () => void) => void): void {
  const held = server.rawListeners('connection') as Array<(this: TlsServer, socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    // Refused by a listener before this one (the connection caps).
    if (socket.destroyed) return;
    gate(socket, () => {
      for (const listener of held) listener.call(server, socket);
    });
  });
}
