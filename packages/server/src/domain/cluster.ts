/**
 * Several nodes sharing one database: what each node runs, how it shows it is alive, and the
 * named leases that give one node at a time a resource (a carrier connection).
 */

/** What a node does. All by default; an operator may split them across nodes. */
export type NodeRole = 'api' | 'relay' | 'dispatch' | 'webhooks';

export const NODE_ROLES: readonly NodeRole[] = ['api', 'relay', 'dispatch', 'webhooks'];

/** One running process of a node, as its heartbeat row shows it. */
export interface NodeRecord {
  /** Unique per process start (a node restarted under the same `nodeId` is a new instance). */
  readonly instanceId: string;
  readonly nodeId: string;
  readonly roles: readonly NodeRole[];
  /** Reserved for the node's own HTTP address; a node registers before it listens and records none yet (null). */
  readonly url: string | null;
  readonly startedAt: number;
  readonly heartbeatAt: number;
}

/** A named lease and who holds it until when. */
export interface LeaseRecord {
  readonly name: string;
  readonly owner: string;
  readonly expiresAt: number;
  readonly acquiredAt: number;
}
