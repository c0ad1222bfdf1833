/** Kinds of durable background work kept in the job queue. */
export type JobKind = 'dispatch';

/** A unit of durable background work. */
export interface JobRecord {
  readonly id: number;
  readonly kind: JobKind;
  readonly projectId: string;
  readonly messageId: string;
  /** When the job may run next (ms); while leased, the lease expiry. */
  readonly runAt: number;
  /** How many times it has been claimed. */
  readonly attempts: number;
  /** The node holding the lease, or null when free. */
  readonly leaseOwner: string | null;
  readonly createdAt: number;
  /** The carrier whose connection must send it (only that connection's owner claims it), or null for any node. */
  readonly carrier: string | null;
  /** The sender-rate slot the job holds: due then, it is sent without being charged again. Null: none taken. */
  readonly slotAt?: number | null;
}

/** A job before it has an id (pinned to a carrier when `carrier` is given). */
export type NewJob = Pick<JobRecord, 'kind' | 'projectId' | 'messageId' | 'runAt'> & { readonly carrier?: string | null };
