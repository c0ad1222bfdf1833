/**
 * The byte budgets shared by RELAY connections of one client address on this node, so that
 * opening `http.maxConnectionsPerAddress` connections does not multiply what one client may make
 * the node parse. Before `signalwire.connect` succeeds a connection draws on its address's bucket;
 * once authenticated, on the bucket of its address and project, so that tenants behind one address
 * (a NAT, a proxy, a shared cloud egress) cannot spend each other's budget. A bucket lives while
 * connections draw on it, and after that until it has refilled (`sweep`): closing and reopening
 * does not buy a fresh budget.
 */
import { TokenBucket } from '../util/token-bucket.js';

/** One bucket and how many connections draw on it (held by each of them, so a frame costs no lookup). */
export interface ByteShare {
  readonly key: string;
  readonly bucket: TokenBucket;
  connections: number;
}

export class AddressByteBudgets {
  private readonly byKey = new Map<string, ByteShare>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** A connection from `address` opened (`project` null), or authenticated as `project`: the share it draws on. */
  join(address: string, project: string | null, now: number): ByteShare {
    // A space cannot occur in an address, so an (address, project) key never equals an address's.
    const key = project === null ? address : `${address} ${project}`;
    let share = this.byKey.get(key);
    if (!share) {
      share = { key, bucket: new TokenBucket(this.perSecond, this.burst, now), connections: 0 };
      this.byKey.set(key, share);
    }
    share.connections++;
    return share;
  }

  /** A connection stopped drawing on `share` (it closed, or authenticated). */
  leave(share: ByteShare, now: number): void {
    share.connections--;
    if (share.connections <= 0 && share.bucket.isFull(now) && this.byKey.get(share.key) === share) this.byKey.delete(share.key);
  }

  /** Forget buckets without connections that have refilled (on the housekeeping tick). */
  sweep(now: number): void {
    for (const [key, share] of this.byKey) if (share.connections <= 0 && share.bucket.isFull(now)) this.byKey.delete(key);
  }

  get size(): number {
    return this.byKey.size;
  }
}
