/**
 * The byte budget shared by every RELAY connection of one client address on this node, so that
 * opening `http.maxConnectionsPerAddress` connections does not multiply what one client may make
 * the node parse. An address's bucket lives while it has connections open, and after that until
 * it has refilled (`sweep`): closing and reopening does not buy a fresh budget.
 */
import { TokenBucket } from '../util/token-bucket.js';

export class AddressByteBudgets {
  private readonly byAddress = new Map<string, { bucket: TokenBucket; connections: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** A connection from `address` opened: the bucket it draws on. */
  join(address: string, now: number): TokenBucket {
    let entry = this.byAddress.get(address);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.perSecond, this.burst, now), connections: 0 };
      this.byAddress.set(address, entry);
    }
    entry.connections++;
    return entry.bucket;
  }

  /** A connection from `address` closed. */
  leave(address: string, now: number): void {
    const entry = this.byAddress.get(address);
    if (!entry) return;
    entry.connections--;
    if (entry.connections <= 0 && entry.bucket.isFull(now)) this.byAddress.delete(address);
  }

  /** Forget addresses without connections whose budget has refilled (on the housekeeping tick). */
  sweep(now: number): void {
    for (const [address, entry] of this.byAddress) if (entry.connections <= 0 && entry.bucket.isFull(now)) this.byAddress.delete(address);
  }

  get size(): number {
    return this.byAddress.size;
  }
}
