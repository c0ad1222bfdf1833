/** What a RELAY connection needs from the service around it, and what a handler answers. */
import type { RelayMetrics } from '../domain/ports/metrics.js';
import type { ByteShare } from './address-bytes.js';
import type { RelayLimits } from './limits.js';

/** A handler's answer: the result, and what to do once it is written (e.g. send the first events). */
export interface Reply {
  readonly result: unknown;
  readonly after?: () => void;
}

/** Bytes a socket must hold (queued, or of a frame partly received) before its address's memory is looked at. */
export const MEMORY_CHECK_BYTES = 64 * 1024;

/** What a connection (`C`: `RelayConnection`, named there as `ConnectionHost`) asks of the service around it. */
export interface ConnectionHostOf<C> {
  dispatch(conn: C, method: string, params: unknown): Promise<Reply> | Reply;
  connectionClosed(conn: C): void;
  readonly limits: RelayLimits;
  readonly metrics: RelayMetrics;
  now(): number;
  /**
   * Join the byte budget (`relay.bytesPerSecondPerAddress`) shared by the connections of a client
   * address (`project` null: not authenticated yet), or of an address and a project.
   */
  joinBytes(address: string, project: string | null): ByteShare;
  /** Stop drawing on a budget joined with `joinBytes` (the connection authenticated). */
  leaveBytes(share: ByteShare): void;
  warn(err: unknown, what: string): void;
  /**
   * Whether the RELAY sockets of this node together queue more than `bufferMemoryBytes`: then a
   * connection whose own queue is past the read pause is closed as not reading, so many sockets
   * each under its own cap (from many addresses) cannot hold the node's memory.
   */
  socketsOverNodeCap(): boolean;
  /**
   * Whether the RELAY sockets of `key` (an address, or an address and project: its `byteShare` key) together
   * hold more than `socketMemoryPerAddressBytes` (queued to send and frames partly received): then a
   * connection of that key holding at least `MEMORY_CHECK_BYTES` is closed, so one address's many
   * sockets cannot hold the node's memory.
   */
  addressOverMemory(key: string): boolean;
  /** The connection's `byteShare` key, which its socket memory counts against too, changed from `from` (it authenticated). */
  memoryMoved(conn: C, from: string): void;
  /** A client crossed a limit that closes it: one warning line with these facts. */
  limited(facts: Record<string, unknown>, what: string): void;
}
