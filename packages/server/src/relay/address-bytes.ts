/**
 * The byte budgets shared by RELAY connections of one client address on this node, so that
 * opening `http.maxConnectionsPerAddress` connections does not multiply what one client may make
 * the node parse; and their request rate, shared the same way, so that it does not multiply what one
 * client may make the node answer (a ping flood over 50 connections of one address was answered
 * 50,000 a second, and other clients' REST requests waited seconds). Before `signalwire.connect` succeeds a connection draws on its address's bucket;
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
  /** Requests its connections may make together (`requestSharesPerAddress` connections' worth of the request rate); null: unlimited. */
  readonly requests: TokenBucket | null;
  connections: number;
}

/** What `AddressByteBudgets` keeps per key: bytes, and requests (rate and burst). */
export interface ShareRates {
  readonly bytesPerSecond: number;
  readonly byteBurst: number;
  readonly requestsPerSecond?: number;
  readonly requestBurst?: number;
}

/** The largest `signalwire.connect` (100 contexts of 128 characters) with room to spare. */
export const CONNECT_FRAME_BYTES = 16 * 1024;

/**
 * Take a frame of `n` bytes from a connection's own budget and its address's share; when either
 * lacks room, charge both all the same (into debt) and return when there is room again (0: taken).
 * A connection's first frame (`first`) no larger than a connect is taken from its own budget only:
 * before they authenticate, every client of an address draws on the address's share, and clients
 * that never authenticate, flooding it, kept every other client of the address (tenants behind one
 * NAT) from sending its `signalwire.connect`. One frame per connection costs the node no more than
 * the WebSocket upgrade that opened it.
 */
export function takeFrame(own: TokenBucket, shared: TokenBucket, now: number, n: number, first: boolean): number {
  if (first && n <= CONNECT_FRAME_BYTES && own.take(now, n)) return 0;
  if (Math.max(own.nextAt(now, n), shared.nextAt(now, n)) <= now) {
    own.take(now, n);
    shared.take(now, n);
    return 0;
  }
  own.charge(now, n);
  shared.charge(now, n);
  return Math.max(own.nextAt(now, 0), shared.nextAt(now, 0));
}

/**
 * Take one request from a connection's own rate and its share's; when either lacks room, charge
 * the share all the same (into debt, as `takeFrame` does) and return when there is room again (0:
 * taken). A connection's first request (`first`: its connect) draws on its own rate only, as its
 * first frame does on its own byte budget.
 */
export function takeRequest(own: TokenBucket, share: ByteShare, now: number, first: boolean): number {
  const shared = first ? null : share.requests;
  if (Math.max(own.nextAt(now), shared?.nextAt(now) ?? now) <= now) {
    own.take(now);
    shared?.take(now);
    return 0;
  }
  shared?.charge(now, 1);
  return Math.max(own.nextAt(now), shared?.nextAt(now) ?? now);
}

export class AddressByteBudgets {
  private readonly byKey = new Map<string, ByteShare>();

  constructor(private readonly rates: ShareRates) {}

  /** A connection from `address` opened (`project` null), or authenticated as `project`: the share it draws on. */
  join(address: string, project: string | null, now: number): ByteShare {
    // A space cannot occur in an address, so an (address, project) key never equals an address's.
    const key = project === null ? address : `${address} ${project}`;
    let share = this.byKey.get(key);
    if (!share) {
      const { bytesPerSecond, byteBurst, requestsPerSecond, requestBurst } = this.rates;
      const requests = requestsPerSecond !== undefined ? new TokenBucket(requestsPerSecond, requestBurst ?? requestsPerSecond, now) : null;
      share = { key, bucket: new TokenBucket(bytesPerSecond, byteBurst, now), requests, connections: 0 };
      this.byKey.set(key, share);
    }
    share.connections++;
    return share;
  }

  /** A connection stopped drawing on `share` (it closed, or authenticated). */
  leave(share: ByteShare, now: number): void {
    share.connections--;
    if (share.connections <= 0 && refilled(share, now) && this.byKey.get(share.key) === share) this.byKey.delete(share.key);
  }

  /** Forget buckets without connections that have refilled (on the housekeeping tick). */
  sweep(now: number): void {
    for (const [key, share] of this.byKey) if (share.connections <= 0 && refilled(share, now)) this.byKey.delete(key);
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** Both of a share's buckets are full again: forgetting it gives its key nothing it had not. */
function refilled(share: ByteShare, now: number): boolean {
  return share.bucket.isFull(now) && (share.requests?.isFull(now) ?? true);
}
