/**
 * The persistence port. Every repository method that touches tenant data takes the project id;
 * the few cross-project operations are engine internals (job claiming, inbound owner lookup)
 * and say so. Adapters: SQLite (embedded default) and PostgreSQL, one contract suite for both.
 */
import type { MessageOrigin, MessageStatus } from '@switchboard/protocol';
import type { LeaseRecord, NodeRecord } from '../cluster.js';
import type { TokenScope } from '../credentials.js';
import type { ApiTokenRecord, PhoneNumberRecord, ProjectRecord } from '../project.js';
import type { JobKind, JobRecord, NewJob } from '../jobs.js';
import type { MessageEventRecord, MessageRecord, MessageState, NewMessage, NewMessageEvent } from '../message.js';
import type { NewWebhookDelivery, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus } from '../webhooks.js';
import type { CxmlApplicationPatch, CxmlApplicationRecord } from '../cxml-applications.js';
import type { MessageMediaRecord } from '../media.js';
import type { NumberGroupMembershipRecord, NumberGroupRecord } from '../number-groups.js';

/** Which SQL engine backs the store. */
export type StoreDialect = 'sqlite' | 'postgres';

/**
 * The database cannot be reached (connection refused or lost, server shutting down). Surfaces answer
 * "temporarily unavailable" and the caller may retry. An operation cut off before its commit left
 * nothing behind; one cut off during the commit itself may or may not have been committed.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** True for errors that mean the database is unreachable rather than that the request was wrong. */
export function isStoreUnavailable(err: unknown): err is StoreUnavailableError {
  return err instanceof StoreUnavailableError;
}

export interface ProjectRepository {
  create(project: ProjectRecord): Promise<void>;
  get(projectId: string): Promise<ProjectRecord | undefined>;
  list(): Promise<ProjectRecord[]>;
  setSigningKey(projectId: string, signingKey: string): Promise<void>;
}

export interface TokenRepository {
  create(token: ApiTokenRecord): Promise<void>;
  /** Tokens not revoked, for authentication. */
  listActive(projectId: string): Promise<ApiTokenRecord[]>;
  list(projectId: string): Promise<ApiTokenRecord[]>;
  /** Returns false when no such active token exists in the project. */
  revoke(projectId: string, tokenId: string, at: number): Promise<boolean>;
}

/** Filters of the phone-number list. */
export interface NumberListFilter {
  readonly nameContains?: string;
  readonly numberContains?: string;
}

/** Keyset paging: rows strictly older (`beforeSeq`) or newer (`afterSeq`) than a cursor, newest first. */
export interface SeqPage {
  readonly limit: number;
  /** Return rows with seq < beforeSeq (next page, newest first). */
  readonly beforeSeq?: number;
  /** Return rows with seq > afterSeq (previous page), still ordered newest first. */
  readonly afterSeq?: number;
}

/** Fields of a number that may be changed after registration. */
export type PhoneNumberPatch = Partial<
  Pick<
    PhoneNumberRecord,
    | 'name'
    | 'capabilities'
    | 'messageHandler'
    | 'messageRequestUrl'
    | 'messageRequestMethod'
    | 'messageFallbackUrl'
    | 'messageFallbackMethod'
    | 'messageLamlApplicationId'
    | 'messageRelayTopic'
    | 'messageRelayContext'
    | 'messagingHandlerResourceId'
  >
>;

export interface PhoneNumberRepository {
  /** Throws a unique-constraint error (see `isUniqueViolation`) when the number is already registered. */
  create(number: PhoneNumberRecord): Promise<void>;
  get(projectId: string, id: string): Promise<PhoneNumberRecord | undefined>;
  getByNumber(projectId: string, number: string): Promise<PhoneNumberRecord | undefined>;
  /** Cross-project by nature: which project (if any) owns this number. Used only to route inbound messages. */
  resolveOwner(number: string): Promise<PhoneNumberRecord | undefined>;
  list(projectId: string, filter: NumberListFilter, page: SeqPage): Promise<Array<PhoneNumberRecord & { seq: number }>>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  update(projectId: string, id: string, patch: PhoneNumberPatch, at: number): Promise<PhoneNumberRecord | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
}

/** Filters of the message list (native logs, compat list, console). Times are ms, bounds inclusive. */
export interface MessageListFilter {
  readonly createdFrom?: number;
  readonly createdTo?: number;
  /** Bounds on the sent time (falling back to creation time for messages not sent yet). */
  readonly sentFrom?: number;
  readonly sentTo?: number;
  readonly includeDeleted?: boolean;
  readonly to?: string;
  readonly from?: string;
  readonly statuses?: readonly MessageStatus[];
  readonly direction?: 'inbound' | 'outbound';
  /** Messages between one of our numbers and another party, either direction. */
  readonly conversation?: { readonly ours: string; readonly other: string };
  /** Case-insensitive substring of the body. */
  readonly bodyContains?: string;
  /** Messages this number sent or received (either side). */
  readonly party?: string;
  /** The surfaces (origins) the messages came through; empty or absent means any. */
  readonly origins?: readonly MessageOrigin[];
}

/** A conversation: the messages between one of our numbers and another party, either direction. */
export interface ConversationRecord {
  /** Our side: the sender of outbound messages, the recipient of inbound ones. */
  readonly ours: string;
  readonly other: string;
  /** `seq` of the newest message, the paging cursor of the conversation list. */
  readonly lastSeq: number;
  /** The newest message (deleted ones included, so a thread never shows an older last message). */
  readonly last: MessageRecord;
}

/** Filter of the conversation list. */
export interface ConversationFilter {
  /** Only conversations of this number of ours. */
  readonly ours?: string;
}

/** A requested state change, applied only if the message is in an allowed predecessor state. */
export interface TransitionUpdate {
  readonly projectId: string;
  readonly id: string;
  readonly to: MessageStatus;
  readonly at: number;
  readonly errorCode?: string | null;
  readonly errorMessage?: string | null;
  readonly reason?: string | null;
  readonly carrier?: string | null;
  readonly carrierMessageId?: string | null;
  readonly price?: number | null;
}

export interface MessageRepository {
  /** Insert messages; returns them with their `seq`. */
  insertMany(rows: readonly NewMessage[]): Promise<MessageRecord[]>;
  get(projectId: string, id: string): Promise<MessageRecord | undefined>;
  getMany(projectId: string, ids: readonly string[]): Promise<MessageRecord[]>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  list(projectId: string, filter: MessageListFilter, page: SeqPage): Promise<MessageRecord[]>;
  /** The changing part of messages (cheap to read): status, errors, carrier facts, times. */
  statesOf(projectId: string, ids: readonly string[]): Promise<MessageState[]>;
  /**
   * Guarded, batched state changes: each update applies only when the message is in a legal
   * predecessor state (domain lifecycle). Returns the state of the rows that changed, as they are now.
   */
  transitionMany(updates: readonly TransitionUpdate[]): Promise<MessageState[]>;
  /** Empty the body; returns the updated message or undefined when not found. */
  redact(projectId: string, id: string, at: number): Promise<MessageRecord | undefined>;
  markDeleted(projectId: string, id: string, at: number): Promise<boolean>;
  /** Conversations of the project, most recently active first; `page.beforeSeq` continues after a `lastSeq`. */
  listConversations(projectId: string, filter: ConversationFilter, page: { readonly limit: number; readonly beforeSeq?: number }): Promise<ConversationRecord[]>;
  /** Engine internal, all projects: messages a carrier accepted that still await a receipt (restart recovery). */
  listAwaitingReceipt(carrier: string, afterSeq: number, limit: number): Promise<MessageRecord[]>;
}

export interface MessageEventRepository {
  insertMany(events: readonly NewMessageEvent[]): Promise<void>;
  listForMessage(projectId: string, messageId: string): Promise<MessageEventRecord[]>;
}

/** Which jobs a claimer may take. */
export interface JobClaimOptions {
  /**
   * The carriers whose connections the claimer owns: it takes unpinned jobs and jobs pinned to one
   * of these. Omitted: every job (a single node owns every carrier).
   */
  readonly carriers?: readonly string[];
}

export interface JobRepository {
  enqueueMany(jobs: readonly NewJob[]): Promise<void>;
  /**
   * Engine internal, all projects: lease up to `limit` due jobs of a kind for `leaseMs`. A lease that
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
  /** Earliest run time of a kind, or undefined when the queue is empty. */
  nextRunAt(kind: JobKind): Promise<number | undefined>;
  count(kind: JobKind): Promise<number>;
}

export interface WebhookRepository {
  enqueueMany(deliveries: readonly NewWebhookDelivery[]): Promise<void>;
  /**
   * Engine internal, all projects: lease due pending deliveries. Only the oldest pending delivery
   * of each message is eligible, so one message's callbacks arrive in order.
   */
  claimDue(now: number, limit: number, leaseMs: number, owner: string): Promise<WebhookDeliveryRecord[]>;
  /** Make deliveries leased by `owner` (or by anyone, when null) due now. */
  releaseLeases(owner: string | null, now: number): Promise<number>;
  recordAttempt(attempt: Omit<WebhookAttemptRecord, 'id'>): Promise<void>;
  /** Record the result of an attempt: delivered, failed for good, or pending again at `nextAttemptAt`. */
  settle(
    id: number,
    result: { status: 'delivered' | 'failed' | 'pending'; attempts: number; nextAttemptAt: number; lastStatusCode: number | null; lastError: string | null; at: number },
  ): Promise<void>;
  get(projectId: string, id: number): Promise<WebhookDeliveryRecord | undefined>;
  listForMessage(projectId: string, messageId: string): Promise<WebhookDeliveryRecord[]>;
  listAttempts(projectId: string, deliveryId: number): Promise<WebhookAttemptRecord[]>;
  /** Make a failed delivery, or a pending one not being sent right now, due now (console "retry now"). */
  retryNow(projectId: string, id: number, now: number): Promise<boolean>;
  nextDueAt(): Promise<number | undefined>;
  countPending(): Promise<number>;
  /** A project's deliveries, newest first (keyset on id: `beforeId`), optionally of one status. */
  listForProject(projectId: string, filter: { readonly status?: WebhookDeliveryStatus }, page: { readonly limit: number; readonly beforeId?: number }): Promise<WebhookDeliveryRecord[]>;
  /** How many of a project's deliveries are in each state; `retrying` counts pending ones that already failed at least once. */
  countByStatus(projectId: string): Promise<{ pending: number; retrying: number; delivered: number; failed: number }>;
}

/** A message a simulated handset received. */
export interface HandsetMessageRecord {
  readonly seq: number;
  readonly projectId: string;
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly body: string;
  readonly media: readonly string[];
  readonly segments: number;
  readonly receivedAt: number;
}

/** Filter of the simulator's handset inbox. */
export interface HandsetFilter {
  readonly to?: string;
  readonly from?: string;
  readonly bodyContains?: string;
  readonly sinceSeq?: number;
}

export interface HandsetInboxRepository {
  insertMany(rows: ReadonlyArray<Omit<HandsetMessageRecord, 'seq'>>): Promise<HandsetMessageRecord[]>;
  list(projectId: string, filter: HandsetFilter, limit: number): Promise<HandsetMessageRecord[]>;
  clear(projectId: string): Promise<number>;
  /** Keep at most `keep` messages per project. */
  /** Delete the oldest messages beyond `keep` per project, at most `maxRows` of them; returns how many. */
  prune(keep: number, maxRows: number): Promise<number>;
}

/** A member of a number group with the number it stands for. */
export interface GroupMember {
  readonly membership: NumberGroupMembershipRecord;
  readonly number: PhoneNumberRecord;
}

export interface NumberGroupRepository {
  create(group: NumberGroupRecord): Promise<void>;
  get(projectId: string, id: string): Promise<NumberGroupRecord | undefined>;
  list(projectId: string, filter: { readonly nameContains?: string }, page: SeqPage): Promise<Array<NumberGroupRecord & { seq: number }>>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  update(projectId: string, id: string, patch: { readonly name?: string; readonly stickySender?: boolean }, at: number): Promise<NumberGroupRecord | undefined>;
  /** Deletes the group with its memberships and sticky assignments. */
  delete(projectId: string, id: string): Promise<boolean>;
  /** Members per group id (groups without members are absent). */
  countMembers(projectId: string, groupIds: readonly string[]): Promise<Map<string, number>>;
  /** Throws a unique-constraint error when the number is already a member. */
  addMember(membership: NumberGroupMembershipRecord): Promise<void>;
  getMembership(projectId: string, id: string): Promise<GroupMember | undefined>;
  listMembers(projectId: string, groupId: string, page: SeqPage): Promise<Array<GroupMember & { seq: number }>>;
  membershipSeqOf(projectId: string, id: string): Promise<number | undefined>;
  /** Every member of a group, oldest first (sender selection). */
  allMembers(projectId: string, groupId: string): Promise<GroupMember[]>;
  removeMember(projectId: string, membershipId: string): Promise<boolean>;
  /** The number a destination was given when it first heard from the group. */
  stickyNumber(projectId: string, groupId: string, destination: string): Promise<string | undefined>;
  /** Remember (or replace) the number a destination hears from. */
  setStickyNumber(projectId: string, groupId: string, destination: string, phoneNumberId: string, at: number): Promise<void>;
}

export interface CxmlApplicationRepository {
  create(app: CxmlApplicationRecord): Promise<void>;
  get(projectId: string, id: string): Promise<CxmlApplicationRecord | undefined>;
  list(projectId: string, filter: { readonly friendlyName?: string }, page: SeqPage): Promise<Array<CxmlApplicationRecord & { seq: number }>>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  update(projectId: string, id: string, patch: CxmlApplicationPatch, at: number): Promise<CxmlApplicationRecord | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
}

export interface MessageMediaRepository {
  insertMany(rows: readonly MessageMediaRecord[]): Promise<void>;
  /**
   * A message's media in message order (oldest first). Unlike the other lists, `afterSeq` selects the
   * rows after a cursor (next page) and `beforeSeq` the rows before it (previous page); both keep
   * the oldest-first order.
   */
  listForMessage(projectId: string, messageId: string, filter: { readonly createdFrom?: number; readonly createdTo?: number }, page: SeqPage): Promise<Array<MessageMediaRecord & { seq: number }>>;
  get(projectId: string, messageId: string, id: string): Promise<MessageMediaRecord | undefined>;
  seqOf(projectId: string, messageId: string, id: string): Promise<number | undefined>;
  delete(projectId: string, messageId: string, id: string): Promise<boolean>;
}

/** Where one part of a message stands at a carrier that answers per part (SMPP). */
export type CarrierPartStatus = 'sent' | 'delivered' | 'undelivered';

/** One part of a message as a carrier accepted it, keyed by the carrier's (normalised) message id. */
export interface CarrierPartRecord {
  readonly carrier: string;
  /** The carrier's message id in the connector's canonical (normalised) form. */
  readonly carrierMessageId: string;
  readonly projectId: string;
  readonly messageId: string;
  /** 1-based part number. */
  readonly partIndex: number;
  readonly partCount: number;
  readonly status: CarrierPartStatus;
  /** Catalogue error key of a failed part. */
  readonly error: string | null;
  /** The carrier's own words about a failed part. */
  readonly errorDetail: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A part's final outcome from a receipt. */
export interface CarrierPartOutcome {
  readonly carrierMessageId: string;
  readonly status: Exclude<CarrierPartStatus, 'sent'>;
  readonly error: string | null;
  readonly errorDetail: string | null;
  readonly at: number;
}

/** Parts of messages handed to per-part carriers, for receipt correlation across restarts. */
export interface CarrierPartRepository {
  /** Record accepted parts; an id the carrier reuses replaces the old mapping. */
  insertMany(parts: readonly CarrierPartRecord[]): Promise<void>;
  /** Engine internal, all projects (receipts carry no project): parts by carrier id. */
  findByCarrierIds(carrier: string, carrierMessageIds: readonly string[]): Promise<CarrierPartRecord[]>;
  /** Engine internal: apply receipt outcomes to parts still `sent`; returns the parts that changed. */
  applyOutcomes(carrier: string, outcomes: readonly CarrierPartOutcome[]): Promise<CarrierPartRecord[]>;
  /** Engine internal: every part of the given messages (to apply a receipt policy). */
  listForMessages(messageIds: readonly string[]): Promise<CarrierPartRecord[]>;
  /** The parts of one message, in part order. */
  listForMessage(projectId: string, messageId: string): Promise<CarrierPartRecord[]>;
  /** Forget parts created before `before` (ms); returns how many. */
  pruneOlderThan(before: number): Promise<number>;
}

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

/** A web console session, as stored: the id the cookie carries is kept only as a digest. */
export interface ConsoleSessionRecord {
  readonly idHash: Buffer;
  readonly projectId: string;
  /** The API token it was opened with; null for a dev login. */
  readonly tokenId: string | null;
  readonly scopes: readonly TokenScope[];
  readonly dev: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Console sessions. Lookups are by the secret id's digest, across projects by nature (like checking
 * an API token): the session says which project it acts for.
 */
export interface ConsoleSessionRepository {
  create(session: ConsoleSessionRecord): Promise<void>;
  /** The session if it exists, has not expired at `now`, and its API token (if any) is not revoked. */
  find(idHash: Buffer, now: number): Promise<ConsoleSessionRecord | undefined>;
  /** Push the expiry of a live session later. */
  extend(idHash: Buffer, expiresAt: number): Promise<void>;
  delete(idHash: Buffer): Promise<boolean>;
  /** Forget sessions expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/** The repositories, usable inside or outside a transaction. */
export interface Repositories {
  readonly projects: ProjectRepository;
  readonly tokens: TokenRepository;
  readonly numbers: PhoneNumberRepository;
  readonly messages: MessageRepository;
  readonly events: MessageEventRepository;
  readonly jobs: JobRepository;
  readonly webhooks: WebhookRepository;
  readonly handsets: HandsetInboxRepository;
  readonly numberGroups: NumberGroupRepository;
  readonly applications: CxmlApplicationRepository;
  readonly media: MessageMediaRepository;
  readonly carrierParts: CarrierPartRepository;
  readonly leases: LeaseRepository;
  readonly nodes: NodeRepository;
  readonly consoleSessions: ConsoleSessionRepository;
}

/** The store: repositories plus transactions and lifecycle. */
export interface Store extends Repositories {
  readonly dialect: StoreDialect;
  /** Run `work` in one transaction; repositories given to it write atomically. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Cheap round trip, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
