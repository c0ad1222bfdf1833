import type { NewWebhookDelivery, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus } from '../../webhooks.js';

/** What a claim may take per destination (`host:port`), so one slow receiver cannot fill the pool. */
export interface WebhookClaimLimits {
  /** Deliveries in flight per destination at most. */
  readonly perDestination: number;
  /** Room left for destinations that differ from `perDestination` (in flight, breaker); 0 skips one. */
  readonly room: Readonly<Record<string, number>>;
  /**
   * Whether to look past the deliveries of full destinations for other destinations' (default
   * true). That read walks the full destinations' due backlog, so a caller claiming often asks for
   * it only now and then.
   */
  readonly lookPastFull?: boolean;
  /**
   * Round-robin across claims: when more projects have due deliveries than one claim serves, those
   * after this project id (in id order) come first. Omitted: from the first.
   */
  readonly after?: string;
  /**
   * Whether to share the claim between the projects with due deliveries (default true): a scan for
   * those projects comes first. A caller that just found one project alone may skip it now and then.
   */
  readonly shareByProject?: boolean;
  /**
   * Projects whose deliveries to leave out: they hold their share of the caller's pool, and the
   * claim is for the slots they leave idle (`WebhookRunner`).
   */
  readonly busyProjects?: readonly string[];
}

/** Failed deliveries of one project to re-queue: by URL (exact or prefix) and creation time. */
export interface WebhookRedriveFilter {
  readonly url?: string;
  readonly urlPrefix?: string;
  /** Created at or after (ms). */
  readonly createdFrom?: number;
  /** Created before (ms). */
  readonly createdBefore?: number;
}

/** The result of an attempt: delivered, failed for good, or pending again at `nextAttemptAt`. */
export interface WebhookSettlement {
  readonly status: 'delivered' | 'failed' | 'pending';
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly at: number;
  /** Where the next attempt goes, when that changes (a cXML fallback URL). */
  readonly destination?: string;
}

/** Lease the heads a settle hands on, when due, like a claim would. */
export interface WebhookHandOnClaim {
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
}

/** Settled deliveries last changed (`updated_at`) at or before these (ms) may be deleted; null keeps that state for good. */
export interface WebhookPruneCutoffs {
  readonly deliveredBefore: number | null;
  readonly failedBefore: number | null;
}

/** One page of `pruneSettled`: where it ended, whether the walk is over, and what it deleted. */
export interface WebhookPrunePage {
  readonly lastId: number;
  readonly done: boolean;
  readonly deliveries: number;
  readonly attempts: number;
}

export interface WebhookRepository {
  enqueueMany(deliveries: readonly NewWebhookDelivery[]): Promise<void>;
  /**
   * Engine internal, all projects: lease due pending deliveries, oldest due first. Only the head of
   * each message (its oldest pending delivery, kept as a flag) is eligible, so one message's
   * callbacks arrive in order. When several projects have due deliveries each takes at most an
   * equal share of `limit` first (the rest filled by the earliest due of any), so no project's
   * backlog holds back another's. With `limits`, no destination gets more than its room: the claim
   * skips over a saturated destination's deliveries to take other destinations'.
   */
  claimDue(now: number, limit: number, leaseMs: number, owner: string, limits?: WebhookClaimLimits): Promise<WebhookDeliveryRecord[]>;
  /**
   * Engine internal: postpone the due and waiting deliveries to `destination` (not those being
   * sent) to `until`, without counting an attempt (a circuit breaker's cool-down). Returns how many.
   */
  deferDestination(destination: string, until: number): Promise<number>;
  /** Engine internal: make the waiting deliveries to `destination` (not those being sent) due at `now` (it answers again). */
  resumeDestination(destination: string, now: number): Promise<number>;
  /** Engine internal: give back deliveries `owner` claimed and did not send, due at `runAt` (no attempt counted). */
  releaseClaimed(ids: readonly number[], owner: string, runAt: number): Promise<number>;
  /** Make deliveries leased by `owner` (or by anyone, when null) due now. */
  releaseLeases(owner: string | null, now: number): Promise<number>;
  /** Record attempts, in one statement (the runner's bookkeeping batch). */
  recordAttempts(attempts: ReadonlyArray<Omit<WebhookAttemptRecord, 'id'>>): Promise<void>;
  /**
   * Record the result of an attempt (to `destination` when the next attempt goes elsewhere). A
   * delivery that leaves `pending` hands its message's head to the message's next pending delivery.
   */
  settle(id: number, result: WebhookSettlement): Promise<void>;
  /**
   * `settle` for several deliveries, handing heads on once for all of them (call inside a
   * transaction). With `claim`, the new heads that are due are leased to `claim.owner` in the same
   * statement and returned: the runner sends a message's next webhook without claiming it.
   */
  settleMany(results: ReadonlyArray<WebhookSettlement & { readonly id: number }>, claim?: WebhookHandOnClaim): Promise<WebhookDeliveryRecord[]>;
  get(projectId: string, id: number): Promise<WebhookDeliveryRecord | undefined>;
  listForMessage(projectId: string, messageId: string): Promise<WebhookDeliveryRecord[]>;
  /** Empty the message's text in every stored request of the message (`withoutMessageText`), for its redaction; returns how many changed. */
  eraseMessageText(projectId: string, messageId: string): Promise<number>;
  /**
   * How many cXML documents the exchange an inbound message began had requested up to delivery
   * `upToId` (included): the inbound message's requests (its redirects too) and the action requests
   * of the exchange's replies (`MessageRecord.cxmlSession`), one per delivery (a fallback attempt is
   * not another). Twilio's 14106 limit counts these.
   */
  countCxmlDocuments(projectId: string, session: string, upToId: number): Promise<number>;
  /** A delivery's attempts, oldest first; with `limit`, its newest `limit` of them. */
  listAttempts(projectId: string, deliveryId: number, limit?: number): Promise<WebhookAttemptRecord[]>;
  /**
   * Make a failed delivery, or a pending one not being sent right now, due now (console "retry
   * now"); a failed one gets a fresh retry window.
   */
  retryNow(projectId: string, id: number, now: number): Promise<boolean>;
  /** Re-queue a project's failed deliveries matching `filter`, due now with a fresh retry window; returns how many. */
  redrive(projectId: string, filter: WebhookRedriveFilter, now: number): Promise<number>;
  /** When the next head delivery is due, leaving out the destinations in `skip`. */
  nextDueAt(skip?: readonly string[]): Promise<number | undefined>;
  countPending(): Promise<number>;
  /**
   * Engine internal, all projects (retention): in the `limit` deliveries after id `afterId`, delete
   * those settled before their cutoff, with their attempts, in one transaction — except deliveries
   * of a message still in flight, and an inbound message's cXML request while a reply of its
   * exchange is. `done` when no later delivery can be due (the page reached the later cutoff's
   * creation time, or the table's end).
   */
  pruneSettled(cutoffs: WebhookPruneCutoffs, afterId: number, limit: number): Promise<WebhookPrunePage>;
  /** A project's deliveries, newest first (keyset on id: `beforeId`), optionally of one status. */
  listForProject(projectId: string, filter: { readonly status?: WebhookDeliveryStatus }, page: { readonly limit: number; readonly beforeId?: number }): Promise<WebhookDeliveryRecord[]>;
  /**
   * How many of a project's deliveries are in each state, each counted up to `cap` (a count past
   * it is `cap`, flagged in `capped`); `retrying` counts pending ones that already failed at least
   * once, among the oldest `cap` pending ones (a lower bound, flagged, when more are pending).
   */
  countByStatus(projectId: string, cap: number): Promise<WebhookStatusCounts>;
}

/** `WebhookRepository.countByStatus`: counts capped at `cap`; `capped` says which are "more than". */
export interface WebhookStatusCounts {
  readonly counts: { readonly pending: number; readonly retrying: number; readonly delivered: number; readonly failed: number };
  readonly capped: { readonly pending: boolean; readonly retrying: boolean; readonly delivered: boolean; readonly failed: boolean };
  readonly cap: number;
}
