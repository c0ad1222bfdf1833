import type { JobKind, JobRecord, NewJob } from '../../jobs.js';

/** Which jobs a claimer may take. */
export interface JobClaimOptions {
  /**
   * The carriers whose connections the claimer owns: it takes unpinned jobs and jobs pinned to one
   * of these. Omitted: every job (a single node owns every carrier).
   */
  readonly carriers?: readonly string[];
  /**
   * Round-robin across claims: when more projects have due jobs than one claim serves, those after
   * this project id (in id order) come first. Omitted: from the first.
   */
  readonly after?: string;
}

export interface JobRepository {
  enqueueMany(jobs: readonly NewJob[]): Promise<void>;
  /**
   * Enqueue jobs already claimed by `owner` until `until` (its lease), as `claim` would have left
   * them: the node that wrote them sends them without a claim; should it die, they come due when the
   * lease ends. One result per job, in order.
   */
  enqueueLeased(jobs: readonly NewJob[], owner: string, until: number): Promise<JobRecord[]>;
  /**
   * Engine internal, all projects: lease up to `limit` due jobs of a kind for `leaseMs`, earliest due
   * first; when several projects have due jobs each takes at most an equal share of `limit` (the
   * rest filled by the earliest due of any), so no project's backlog holds back another's. A lease that
   * expires (its holder died) makes the job claimable again. Concurrent claimers (other nodes) never
   * get the same job while its lease runs.
   */
  claim(kind: JobKind, now: number, limit: number, leaseMs: number, owner: string, opts?: JobClaimOptions): Promise<JobRecord[]>;
  deleteMany(ids: readonly number[]): Promise<void>;
  /**
   * Release leased jobs to run again at the given times; `carrier`, when given, pins a job to that
   * carrier (or unpins it with null), handing it to the node that owns the carrier's connection.
   */
  reschedule(items: ReadonlyArray<{ id: number; runAt: number; carrier?: string | null }>): Promise<void>;
  /** Make every job leased by `owner` (or by anyone, when null) runnable now. */
  releaseLeases(owner: string | null, now: number): Promise<number>;
  /**
   * Make the jobs of `kind` pinned to `carrier` and waiting for a later time (retries it handed
   * back) runnable now, the earliest first, at most `limit`; returns how many. A job holding a
   * sender's rate slot keeps its time: the slot, not the carrier, sets it.
   */
  pullForward(kind: JobKind, carrier: string, now: number, limit: number): Promise<number>;
  /**
   * Earliest run time of a kind, or undefined when the queue is empty; with `carriers`, of the jobs
   * a claim with them may take (pinned elsewhere, a job is not this claimer's to wait for).
   */
  nextRunAt(kind: JobKind, opts?: Pick<JobClaimOptions, 'carriers'>): Promise<number | undefined>;
  count(kind: JobKind): Promise<number>;
  /**
   * Per-sender throughput (engine internal, all projects). The next free send time of each rated
   * sender key (`<project id> <sender>`), created at `now` when missing; on PostgreSQL the rows stay
   * locked until the transaction ends, so nodes reserve a sender's slots one after another.
   */
  takeSenderSlots(keys: readonly string[], now: number): Promise<Map<string, number>>;
  /** Store senders' next free send times (after `takeSenderSlots`, in the same transaction). */
  putSenderSlots(next: ReadonlyMap<string, number>): Promise<void>;
  /** Release leased jobs to run at the sender slots they now hold (they are not charged again). */
  holdSlots(items: ReadonlyArray<{ id: number; slotAt: number }>): Promise<void>;
  /**
   * A sender's rate changed: forget its next free time (its row of `sender_slots`, `senderKey`) and
   * make the dispatch jobs of its messages that hold a slot not yet due runnable at `now` without
   * one, so they are planned again at the new rate. Returns how many jobs were released.
   */
  releaseSenderSlots(senderKey: string, projectId: string, sender: string, now: number): Promise<number>;
}
