/**
 * Where RELAY sessions wait to be resumed. When a connection drops, its session is parked here
 * with the events its client had not acknowledged; events for it keep being appended while it is
 * parked; a reconnect with the session's `protocol` claims it back within the resume window.
 *
 * In-memory now (one node); a shared adapter (PostgreSQL or JetStream) lets a session resume on
 * another node. Every adapter keeps buffers bounded and drops a session (rather than an event)
 * when a bound is hit, so a resume either restores everything it missed or nothing.
 */

/** One event kept for a session: replayed as a `signalwire.event` frame with the same `id`. */
export interface BufferedRelayEvent {
  /** JSON-RPC id of the event frame (a UUID), stable across replays so clients can de-duplicate. */
  readonly id: string;
  /** Unique per state change (`<message id>:<state>`), to merge parked and live events without doubles. */
  readonly key: string;
  /** When the change happened (ms), for the latency metric. */
  readonly at: number;
  /** The serialized `params` of the `signalwire.event` request (envelope and inner params). */
  readonly params: string;
}

/** A session without a connection. */
export interface ParkedRelaySession {
  readonly protocol: string;
  readonly projectId: string;
  /**
   * The API token its connect was authorised by: revoking it ends the session parked too. Null when
   * unknown (a session parked by a node older than the column): it is kept for its window as before.
   */
  readonly tokenId: string | null;
  readonly contexts: readonly string[];
  readonly eventAcks: boolean;
  readonly parkedAt: number;
  /** After this time (ms) the session is forgotten. */
  readonly expiresAt: number;
  /** Unacknowledged and missed events, oldest first. */
  readonly events: readonly BufferedRelayEvent[];
}

/** An event for whichever parked sessions of a project it addresses. */
export interface RelayEventDelivery {
  readonly projectId: string;
  /** Parked sessions subscribed to any of these contexts get it. */
  readonly contexts: readonly string[];
  /** Parked sessions with one of these protocols get it (the sender; a context naming a session). */
  readonly protocols: readonly string[];
  readonly key: string;
  readonly at: number;
  readonly params: string;
}

/**
 * Why a parked session ended before a resume: its window passed, its missed events overflowed, its
 * project parked more sessions than it may have (`maxPerProject`; the oldest goes first), or the
 * API token it was authorised by is no longer active (revoked, or its project gone).
 */
export type ParkedSessionEnd = 'expired' | 'overflow' | 'crowded' | 'revoked';

/** Whether a project's API token is still active. */
export type TokenCheck = (projectId: string, tokenId: string) => Promise<boolean>;

export interface RelayResumeStore {
  /** Keep a session that lost its connection until `expiresAt`. Replaces one with the same protocol. */
  park(session: ParkedRelaySession): Promise<void>;
  /**
   * Take a parked session back (it leaves the store), if it exists, belongs to the project and has
   * not expired. With `isActive`, the session's token is checked before it is taken: a check that
   * fails (throws) leaves it parked, a revoked token ends it (dropped, `revoked`: undefined).
   */
  claim(projectId: string, protocol: string, now: number, isActive?: TokenCheck): Promise<ParkedRelaySession | undefined>;
  /** Append events to the parked sessions they address. */
  deliver(deliveries: readonly RelayEventDelivery[]): Promise<void>;
  /**
   * End the sessions this node keeps parked (of one project, or all) whose token `isActive` denies:
   * they stop collecting their project's events at once. Returns how many.
   */
  revoke(isActive: TokenCheck, projectId?: string): Promise<number>;
  /** Forget sessions whose window has passed; returns how many. */
  expire(now: number): Promise<number>;
  /**
   * A live session of the project needs room in the node's buffer budget: drop (`overflow`) the
   * project's parked session holding the most missed events in that budget, if more than
   * `moreThan`; true if one was dropped. Absent: parked sessions hold no budget for long.
   */
  relieve?(projectId: string, moreThan: number): boolean;
  /**
   * Shutdown: forget everything, or (`handOff`) leave the parked sessions, with the events appended
   * so far, for a resume on another node or the next process. Nothing is appended to them after
   * this; the node that claims one catches it up from the stored events since its park (catch-up.ts).
   */
  clear(handOff?: boolean): Promise<void>;
}

/**
 * Where a live RELAY session stands, saved now and then (one write per node and interval for the
 * sessions whose acknowledgements changed, never one per event), so a client whose node was killed
 * resumes from about where it left: what it had then is not sent again, what it had not is caught
 * up from the stored events. A stop needs none (it hands its sessions over, exactly).
 */
export interface RelaySessionCheckpoint {
  readonly protocol: string;
  readonly projectId: string;
  /** The API token acting for the session (a claim checks it is still active); null when unknown. */
  readonly tokenId: string | null;
  readonly contexts: readonly string[];
  readonly eventAcks: boolean;
  /** Message time (ms): the client had every event addressed to it before this; its catch-up starts here. */
  readonly since: number;
  /** The keys (`<message id>:<state>`) of the events at or after `since` that the client had: acknowledged, or written to a client that does not ack. */
  readonly had: readonly string[];
  /** After this time (ms, the node's clock) the checkpoint is forgotten. */
  readonly expiresAt: number;
}

export interface RelayCheckpointStore {
  /** Replace the checkpoints of `write`'s sessions and forget those of `forget` (sessions that ended), in one transaction. */
  save(write: readonly RelaySessionCheckpoint[], forget: readonly string[]): Promise<void>;
  /**
   * Take a session's checkpoint (it leaves the store), if it belongs to the project and has not
   * expired. With `isActive`, as a claim checks a parked session's token: a failed check takes nothing.
   */
  take(projectId: string, protocol: string, now: number, isActive?: TokenCheck): Promise<RelaySessionCheckpoint | undefined>;
}
