/**
 * Answers a client does not read, kept from filling the node's memory (part of `ServerLimits`):
 *
 * - **Pipelined requests** (several sent on one connection before an answer is read): node parses
 *   them all and hands each to the application at once, keeping every answer that must wait for
 *   an earlier one in memory — a client pipelining list requests and never reading made the node
 *   hold 3 GB from 200 connections, and work for minutes after it left. Node gives a waiting
 *   answer its socket (`'socket'`) only once the answers before it are out; the request is served
 *   then, on the next turn of the event loop: node hands the socket over within the turn that
 *   wrote the answer before, so a connection's whole pipeline was served in one go, and 200
 *   connections of one client pipelining 20 requests each kept a new connection of another client
 *   waiting 4 to 10 s (afterwards 0.3 to 0.7 s a request; served a turn apart, 0.6 s, then 10 to
 *   40 ms). A request whose answer has its socket already (the usual case, no pipelining) is served
 *   at once, with nothing else to do. At most `MAX_PIPELINED_REQUESTS` wait per connection; a
 *   client sending more is disconnected. Requests still waiting when a connection closes are
 *   never served.
 * - **Stalled answers**: an answer bigger than the socket buffers stays in memory for as long as a
 *   client that does not read keeps its connection open. The open connections are looked at every
 *   few seconds, and one with unwritten bytes that made no progress for `stallMs` is closed (a
 *   slow client that keeps reading is not cut). No cost per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { AddressWarnings } from '../util/address-warnings.js';
import { clientAddressKey } from '../util/client-address.js';

/**
 * Requests one connection may have waiting behind the one being served (HTTP/1.1 pipelining).
 * Browsers and the SDKs do not pipeline; a client sending more without reading is disconnected.
 */
export const MAX_PIPELINED_REQUESTS = 32;

/** Bytes of a socket's writes not yet taken by the network: its stream's buffer and what libuv still holds of a write under way. */
function unwritten(socket: Socket): number {
  return socket.writableLength + ((socket as { _handle?: { writeQueueSize?: number } | null })._handle?.writeQueueSize ?? 0);
}

/**
 * Bytes of the writes the network has taken whole: handed to the socket, less what its stream still
 * holds. Grows only when a write completes; the answers written meanwhile do not change it.
 */
function flushed(socket: Socket): number {
  return (socket.bytesWritten ?? 0) - socket.writableLength;
}

export class UnreadAnswers {
  /** Requests waiting for their turn, per connection (only connections that pipeline have one). */
  private readonly waiting = new WeakMap<Socket, number>();
  /** Open connections, and for those with unwritten bytes: how many, and how many flushed, when last seen making progress, and since when. */
  private readonly open = new Map<Socket, { left: number; flushed: number; since: number } | null>();
  private sweep: NodeJS.Timeout | undefined;
  private readonly warnings: AddressWarnings;

  constructor(
    private readonly stallMs: number,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.warnings = new AddressWarnings(logger, 60_000, now);
  }

  /** Serve `req` now, or once the answers before it on its connection are out. */
  serve(req: IncomingMessage, res: ServerResponse, handle: (req: IncomingMessage, res: ServerResponse) => void): void {
    if (res.socket !== null) return handle(req, res);
    const socket = req.socket;
    const waiting = (this.waiting.get(socket) ?? 0) + 1;
    if (waiting > MAX_PIPELINED_REQUESTS) {
      this.warn('pipelining', socket, { limit: MAX_PIPELINED_REQUESTS }, 'closing connections with more pipelined requests waiting than the limit (a client sending requests without reading the answers)');
      socket.destroy();
      return;
    }
    this.waiting.set(socket, waiting);
    res.once('socket', () => {
      this.waiting.set(socket, this.waiting.get(socket)! - 1);
      // On the next turn: other connections' I/O (new ones accepted too) goes between a pipeline's requests.
      setImmediate(() => {
        if (!socket.destroyed) handle(req, res);
      });
    });
  }

  /** Watch a connection until it closes. */
  track(socket: Socket): void {
    this.open.set(socket, null);
    socket.once('close', () => this.open.delete(socket));
    this.sweep ??= setInterval(() => this.closeStalled(), Math.min(5_000, Math.max(50, Math.floor(this.stallMs / 4)))).unref();
  }

  /** Close the connections whose unwritten bytes made no progress for `stallMs`: a client that does not read. */
  private closeStalled(): void {
    const now = this.now();
    for (const [socket, seen] of this.open) {
      const left = unwritten(socket);
      const done = flushed(socket);
      if (left === 0) {
        if (seen) this.open.set(socket, null);
      } else if (!seen || left < seen.left || done > seen.flushed) {
        // Progress: the write under way shrank, or a write completed. Bytes left alone are not
        // enough: a client reading answers written one after another can have more left at each
        // look than at the first (it was cut after 30 s though it read all along).
        this.open.set(socket, { left, flushed: done, since: now });
      } else if (now - seen.since >= this.stallMs) {
        this.open.delete(socket);
        this.warn('stalled', socket, { unwrittenBytes: left, stallMs: this.stallMs }, 'closing connections whose client has read none of its answer for a while (not reading)');
        socket.destroy();
      }
    }
    if (this.open.size === 0) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  private warn(kind: string, socket: Socket, fields: Record<string, unknown>, message: string): void {
    this.warnings.warn(kind, clientAddressKey(socket.remoteAddress), fields, message);
  }
}
