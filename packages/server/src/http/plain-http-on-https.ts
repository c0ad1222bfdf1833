/**
 * Plain HTTP sent to the HTTPS port (an `http://` URL with the HTTPS port, an SDK given the wrong
 * scheme) gets a readable answer, as nginx gives one: a `400` saying the port speaks HTTPS and
 * naming the https:// URL. Node's TLS layer would take the socket and drop it at the first byte
 * that is no TLS record, and once it holds the socket nothing plain can be written
 * ('tlsClientError' comes too late). So the first bytes of each connection are read before TLS
 * gets it: a TLS handshake record goes on to TLS unchanged, anything else is answered and closed.
 *
 * The server keeps its own port, so its address, its connection cap, its header timeouts and its
 * close work as before: only the 'connection' listeners it has when this is installed (node's TLS
 * wrap) are held back until the first bytes say TLS. Listeners added later with
 * `prependListener` (ServerLimits' admission) still run at accept, so the caps count this stage.
 */
import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { gateConnections } from './connection-gate.js';
import { rawErrorResponse } from './raw-error-response.js';

/** The first byte of a TLS handshake record (the ClientHello), in every TLS version. */
const TLS_HANDSHAKE_RECORD = 0x16;
/** The most bytes of a refused plain request read (and dropped) so its sender reads the 400 instead of a reset. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
/** The part of the first bytes searched for the Host header (node's own header limit is 16 KB). */
const HEAD_SCAN_BYTES = 16 * 1024;
/** A Host header worth echoing: a host name or IP literal and a port, nothing a client could use to inject text. */
const AUTHORITY = /^[A-Za-z0-9.\-_:[\]]{1,255}$/;

export interface PlainHttpGuardOptions {
  /** How long a new connection may stay silent before it is closed (ms); a refused one gets as long to finish sending. */
  readonly firstBytesTimeoutMs: number;
}

/** Whether a connection's first bytes open a TLS handshake. */
export function isTlsHandshake(firstBytes: Buffer): boolean {
  return firstBytes[0] === TLS_HANDSHAKE_RECORD;
}

/** The https:// URL a plain request should have used: its own Host, else the address it came in on. */
export function httpsUrlFor(firstBytes: Buffer, local: { readonly localAddress?: string | undefined; readonly localPort?: number | undefined }): string {
  const head = firstBytes.subarray(0, HEAD_SCAN_BYTES).toString('latin1').split('\r\n\r\n')[0]!;
  const host = /\r\nhost:[ \t]*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? '';
  if (AUTHORITY.test(host) && URL.canParse(`https://${host}`)) return new URL(`https://${host}`).origin;
  const address = local.localAddress ?? 'localhost';
  return `https://${address.includes(':') ? `[${address}]` : address}${local.localPort === undefined ? '' : `:${local.localPort}`}`;
}

/** The whole answer to a plain request on the HTTPS port. */
export function plainHttpAnswer(firstBytes: Buffer, socket: Pick<Socket, 'localAddress' | 'localPort'>): string {
  return rawErrorResponse('PLAIN_HTTP_ON_HTTPS_PORT', `This port speaks HTTPS, not plain HTTP: send the request to ${httpsUrlFor(firstBytes, socket)} instead.`);
}

/** Answer plain HTTP on `server` (a TLS server, before it listens and before other 'connection' listeners are added). */
export function answerPlainHttp(server: TlsServer, opts: PlainHttpGuardOptions): void {
  gateConnections(server, (socket, proceed) => {
    const ignore = () => {};
    socket.on('error', ignore);
    const silent = setTimeout(() => socket.destroy(), opts.firstBytesTimeoutMs);
    socket.once('close', () => clearTimeout(silent));
    const onReadable = () => {
      const firstBytes = socket.read() as Buffer | null;
      // Readable at the end of a connection that sent nothing: it closes by itself.
      if (firstBytes === null) {
        socket.once('readable', onReadable);
        return;
      }
      clearTimeout(silent);
      if (isTlsHandshake(firstBytes)) {
        // Handed over as it came: TLS reads the bytes put back before anything newer.
        socket.off('error', ignore);
        socket.unshift(firstBytes);
        proceed();
      } else {
        refuse(socket, firstBytes, opts.firstBytesTimeoutMs);
      }
    };
    socket.once('readable', onReadable);
  });
}

/** Answer and close; the rest of the request is read and dropped (bounded), so the client reads the answer rather than a reset. */
function refuse(socket: Socket, firstBytes: Buffer, timeoutMs: number): void {
  socket.end(plainHttpAnswer(firstBytes, socket));
  let drained = 0;
  socket.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) socket.destroy();
  });
  const linger = setTimeout(() => socket.destroy(), timeoutMs);
  socket.once('close', () => clearTimeout(linger));
}
