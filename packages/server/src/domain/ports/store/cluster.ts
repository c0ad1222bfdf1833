import type { LeaseRecord, NodeRecord } from '../../cluster.js';

/** Named leases: one holder at a time, until it stops renewing (a carrier connection's owner). */
export interface LeaseRepository {
  /**
   * Take the lease for `ttlMs` when it is free or expired, or renew it when `owner` holds it.
   * True when `owner` holds it now. Two callers racing for a free lease never both win.
   */
  acquire(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  /** Give the lease up if `owner` holds it; true when it did. */
  release(name: string, owner: string): Promise<boolean>;
  list(): Promise<LeaseRecord[]>;
}

/** The nodes' heartbeats: who is alive, and whose unfinished work needs adopting. */
export interface NodeRepository {
  /** Announce a starting instance. */
  register(node: Omit<NodeRecord, 'heartbeatAt'>, now: number): Promise<void>;
  /** Refresh an instance's heartbeat; false when its row is gone (another node took it for dead). */
  heartbeat(node: Omit<NodeRecord, 'heartbeatAt'>, now: number): Promise<boolean>;
  list(): Promise<NodeRecord[]>;
  /**
   * Remove and return instances whose heartbeat is older than `before`, and (when given) earlier
   * instances of the same node id: the caller adopts their unfinished work. Each removed instance is
   * returned to exactly one caller, however many race.
   */
  takeDead(before: number, predecessorsOf?: { nodeId: string; instanceId: string }): Promise<NodeRecord[]>;
  /** A cleanly stopping instance: others may adopt its work at once. */
  markStopped(instanceId: string): Promise<void>;
}
