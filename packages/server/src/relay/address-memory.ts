/**
 * Socket memory per client address (`relay.socketMemoryPerAddressBytes`): what the RELAY sockets of
 * one address hold on this node together, written to them and not yet sent (replies, events,
 * pings) plus frames partly received. Each socket is capped on its own (`relay.maxSocketBufferBytes`,
 * the frame limit) and the node's sockets together (`relay.bufferMemoryBytes`), but without this one
 * address could open `http.maxConnectionsPerAddress` sockets, each under its own cap, and hold most
 * of the node's memory: the node cap then closed other clients' sockets as well as its own.
 *
 * Keyed as the byte budgets are (`address-bytes.ts`): by address until `signalwire.connect`
 * succeeds, then by address and project. Keyed by address alone, any client behind a tenant's
 * address (a NAT, a proxy) could hold the cap with frames it never finishes, and every large
 * request or burst of events of the tenant's closed its connection (1013).
 */

/** What the accounting reads of a connection. */
export interface MemoryHolder {
  /** Its key: its address, or its address and project once authenticated. */
  readonly byteShare: { readonly key: string };
  /** Bytes its socket holds now: queued to send, and of frames partly received. */
  readonly memoryBytes: number;
}

/** A key's sum is taken again at most this often (ms): summing costs one look per connection. */
const RESUM_MS = 100;

export class AddressMemory {
  private readonly byKey = new Map<string, Set<MemoryHolder>>();
  private readonly sums = new Map<string, { at: number; bytes: number }>();

  constructor(readonly maxBytes: number) {}

  add(conn: MemoryHolder, key: string = conn.byteShare.key): void {
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(conn);
  }

  remove(conn: MemoryHolder, key: string = conn.byteShare.key): void {
    const set = this.byKey.get(key);
    if (!set?.delete(conn) || set.size > 0) return;
    this.byKey.delete(key);
    this.sums.delete(key);
  }

  /** The connection's key changed from `from` (it authenticated). */
  moved(conn: MemoryHolder, from: string): void {
    this.remove(conn, from);
    this.add(conn);
  }

  /** Bytes the sockets of `key` hold together now. */
  bytesOf(key: string): number {
    let total = 0;
    for (const conn of this.byKey.get(key) ?? []) total += conn.memoryBytes;
    return total;
  }

  /** Whether the sockets of `key` hold more than the cap (the sum is at most `RESUM_MS` old; `at` is a monotonic time in ms). */
  isOver(key: string, at: number): boolean {
    let sum = this.sums.get(key);
    if (!sum || at - sum.at >= RESUM_MS) this.sums.set(key, (sum = { at, bytes: this.bytesOf(key) }));
    return sum.bytes > this.maxBytes;
  }
}
