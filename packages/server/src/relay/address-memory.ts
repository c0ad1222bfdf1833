/**
 * Socket memory per client address (`relay.socketMemoryPerAddressBytes`): what the RELAY sockets of
 * one address hold on this node together, written to them and not yet sent (replies, events,
 * pings) plus frames partly received. Each socket is capped on its own (`relay.maxSocketBufferBytes`,
 * the frame limit) and the node's sockets together (`relay.bufferMemoryBytes`), but without this one
 * address could open `http.maxConnectionsPerAddress` sockets, each under its own cap, and hold most
 * of the node's memory: the node cap then closed other clients' sockets as well as its own.
 */

/** What the accounting reads of a connection. */
export interface MemoryHolder {
  readonly remoteAddress: string;
  /** Bytes its socket holds now: queued to send, and of frames partly received. */
  readonly memoryBytes: number;
}

/** An address's sum is taken again at most this often (ms): summing costs one look per connection. */
const RESUM_MS = 100;

export class AddressMemory {
  private readonly byAddress = new Map<string, Set<MemoryHolder>>();
  private readonly sums = new Map<string, { at: number; bytes: number }>();

  constructor(readonly maxBytes: number) {}

  add(conn: MemoryHolder): void {
    let set = this.byAddress.get(conn.remoteAddress);
    if (!set) this.byAddress.set(conn.remoteAddress, (set = new Set()));
    set.add(conn);
  }

  remove(conn: MemoryHolder): void {
    const set = this.byAddress.get(conn.remoteAddress);
    if (!set?.delete(conn) || set.size > 0) return;
    this.byAddress.delete(conn.remoteAddress);
    this.sums.delete(conn.remoteAddress);
  }

  /** Bytes the sockets of `address` hold together now. */
  bytesOf(address: string): number {
    let total = 0;
    for (const conn of this.byAddress.get(address) ?? []) total += conn.memoryBytes;
    return total;
  }

  /** Whether the sockets of `address` hold more than the cap (the sum is at most `RESUM_MS` old; `at` is a monotonic time in ms). */
  isOver(address: string, at: number): boolean {
    let sum = this.sums.get(address);
    if (!sum || at - sum.at >= RESUM_MS) this.sums.set(address, (sum = { at, bytes: this.bytesOf(address) }));
    return sum.bytes > this.maxBytes;
  }
}
