/**
 * The message journal: the one write path for message changes. Every new message (accepted
 * outbound, received inbound), every state change (dispatch, carrier answers, receipts, expiry)
 * and every redaction or deletion is written here. A write puts the message rows, their event
 * rows, dispatch jobs and the webhooks the change causes in one transaction; concurrent writes are
 * group-committed (one transaction per turn of the event loop); and only after the commit is the
 * change published on the bus. It is also the one place that decides what a storage failure means:
 * a new message fails back to its caller (nothing was promised yet), while a state change — which
 * exists only in memory until written — waits for storage to come back, retried for as long as the
 * engine runs. What its writes found is kept for readiness (`storageHealth`).
 */
import type { ErrorKey, MessageStatus } from '@switchboard/protocol';
import { ERRORS } from '@switchboard/protocol';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { mediaRecordsFor } from '../../domain/media.js';
import type { JobRecord, NewJob } from '../../domain/jobs.js';
import { restated, withSeq, withState, type MessageEventRecord, type MessageRecord, type NewMessage, type NewMessageEvent } from '../../domain/message.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { EngineMetrics } from '../../domain/ports/metrics.js';
import { isStoreUnavailable, storageRetryDelay, type Repositories, type Store, type TransitionUpdate } from '../../domain/ports/store.js';
import type { NewWebhookDelivery } from '../../domain/webhooks.js';
import { Batcher } from '../../util/batcher.js';
import { IDEMPOTENCY_WINDOW_MS } from '../../domain/idempotency.js';
import { IdempotencyKeyTaken, type IdempotencyClaim } from './idempotency.js';
import type { RecentMessages } from './recent-messages.js';
import type { StateChange, WebhookPlanner } from './state-change.js';
import { StorageHealth, type HealthReport } from './storage-health.js';

/** A requested change: move a message to `to`, with failure facts and carrier details. */
export interface ChangeRequest {
  readonly projectId: string;
  readonly messageId: string;
  readonly to: MessageStatus;
  /** Failure reason from the catalogue (sets error_code, error_message and reason). */
  readonly error?: ErrorKey;
  /** Extra text appended to the catalogue message (e.g. the carrier's own words). */
  readonly errorDetail?: string;
  readonly carrier?: string;
  readonly carrierMessageId?: string;
  readonly price?: number | null;
  /** Facts for the event timeline. */
  readonly detail?: Record<string, unknown>;
  /** A dispatch job this change finishes; it is deleted in the same transaction. */
  readonly completesJob?: number;
}

/** A new message to write, with the idempotency key its request carried. */
interface NewWrite {
  readonly row: NewMessage;
  readonly idempotency?: IdempotencyClaim;
  /** When its dispatch job comes due, if not at once (a scheduled message's send time). */
  readonly runAt?: number;
}

/**
 * This node's dispatcher, as the journal sees it: new outbound messages it has room for are written
 * with their jobs already leased to it and handed over after the commit, so it sends them without
 * claiming them back from the store.
 */
export interface LocalDispatch {
  /** The lease owner recorded on the jobs (the node's id). */
  readonly owner: string;
  /** How long the lease runs; should the node die, the jobs come due when it ends. */
  readonly leaseMs: number;
  /** How many more messages it takes now. */
  room(): number;
  /** Whether it would send this message straight away (no check at claim time would stop it). */
  takes(message: NewMessage): boolean;
  /** The messages and their leased jobs, after their commit. */
  adopt(items: ReadonlyArray<{ readonly job: JobRecord; readonly message: MessageRecord }>): void;
}

/** What applying a batch of changes inside a transaction produced. */
interface AppliedChanges {
  readonly changes: StateChange[];
  readonly webhooks: number;
  /** Per request: whether the message was in a state that allowed the change. */
  readonly applied: boolean[];
}

/** What a caller's own transaction work hands back to `withinTransaction`. */
export interface TransactionWork<T> {
  readonly value: T;
  /** State changes to write in the same transaction. */
  readonly changes: readonly ChangeRequest[];
  /**
   * The value once the changes are written, from whether each was (`applied[i]` for `changes[i]`;
   * the guard refuses a change its message's state no longer allows, as after a concurrent cancel).
   */
  readonly settle?: (applied: readonly boolean[]) => T;
}

/** With a failure on record and nothing else writing, readiness checks storage with a write of its own at most this often. */
const PROBE_INTERVAL_MS = 1_000;

export interface JournalDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly bus: Bus;
  readonly metrics: EngineMetrics;
  readonly planners: readonly WebhookPlanner[];
  readonly recent: RecentMessages;
  /** Where storage failures and recoveries are reported. */
  readonly logger?: Logger;
}

export class MessageJournal {
  /** New messages, each with the idempotency key its request carried; null: the key was taken, nothing written. */
  private readonly creates: Batcher<NewWrite, MessageRecord | null>;
  private readonly changes: Batcher<ChangeRequest, boolean>;
  private readonly health: StorageHealth;
  private stopping = false;
  private probing: Promise<void> | null = null;
  private dispatch: LocalDispatch | null = null;

  constructor(private readonly deps: JournalDeps) {
    this.health = new StorageHealth(deps.clock, deps.logger);
    // New messages are independent of each other: on a store with a pool of connections their
    // transactions may run side by side (each mostly waits on round trips); on SQLite, one at a time.
    this.creates = new Batcher(
      (rows) => this.observe('new messages', 'new messages are refused (503) until storage is back', () => this.writeNew(rows), (r) => r.length > 0),
      1000,
      undefined,
      deps.store.dialect === 'postgres' ? 4 : 1,
    );
    this.changes = new Batcher(
      (items, attempt) => this.observe('state changes', 'state changes wait in memory and are retried until storage is back', () => this.writeChanges(items, attempt > 1), (r) => r.some(Boolean)),
      2000,
      (err, attempt) => storageRetryDelay(err, attempt, this.stopping),
    );
  }

  /**
   * Storage as the journal's writes found it: failing from a write that failed with
   * `StoreUnavailableError` until one succeeds. With a failure on record and nothing else writing
   * (no state change waiting), a small write of its own finds out whether storage is back.
   */
  async storageHealth(): Promise<HealthReport> {
    const since = this.health.lastFailureAt;
    if (since !== null && this.changes.pending === 0 && this.creates.pending === 0 && this.deps.clock.now() - since >= PROBE_INTERVAL_MS) {
      await (this.probing ??= this.probe().finally(() => (this.probing = null)));
    }
    return this.health.report(this.changes.pending);
  }

  /** Hand new outbound messages to this node's dispatcher (`LocalDispatch`); without it every job waits for a claim. */
  attachDispatch(dispatch: LocalDispatch): void {
    this.dispatch = dispatch;
  }

  /** The engine is stopping: state changes that still cannot be written are given up after a few more attempts. */
  stopRetrying(): void {
    this.stopping = true;
  }

  /**
   * Write a new message: an outbound one `queued` with its dispatch job, an inbound one `received`.
   * Resolves after the commit, so an answer to the caller means the message survives a crash.
   * With `idempotency`, the key is written in the same transaction; when the project's key is
   * already taken (by an earlier or a concurrent request) nothing is written and the promise
   * rejects with `IdempotencyKeyTaken`.
   */
  async create(row: NewMessage, opts: { readonly idempotency?: IdempotencyClaim; readonly runAt?: number } = {}): Promise<MessageRecord> {
    const written = await this.creates.add({ row, idempotency: opts.idempotency, runAt: opts.runAt });
    if (!written) throw new IdempotencyKeyTaken(row.projectId, opts.idempotency!.key);
    return written;
  }

  /** Apply one state change; resolves true if the message was in a state that allowed it. */
  record(change: ChangeRequest): Promise<boolean> {
    return this.changes.add(change);
  }

  /**
   * Apply one state change its caller waits for (a cancel asked for over the API) in a transaction
   * of its own. A storage failure refuses it (503) instead of keeping it in memory to retry: the
   * caller is not held until storage is back, and a change it was told failed is not applied later.
   */
  async recordOrRefuse(change: ChangeRequest): Promise<boolean> {
    const [applied] = await this.observe('a requested state change', 'cancels are refused (503) until storage is back', () => this.writeChanges([change]), (r) => r.some(Boolean));
    return applied === true;
  }

  /** Apply many state changes; one result per change, in order. */
  recordMany(changes: readonly ChangeRequest[]): Promise<boolean[]> {
    return this.changes.addMany(changes);
  }

  /**
   * Run `work` in a transaction and write the state changes it asks for in the same one (the
   * dispatcher claims jobs and moves their messages on atomically); publishes after the commit.
   */
  async withinTransaction<T>(work: (tx: Repositories, now: number) => Promise<TransactionWork<T>>): Promise<T> {
    const now = this.deps.clock.now();
    const { value, applied } = await this.observe(
      'a transaction with state changes',
      'it is tried again later',
      () =>
        this.deps.store.transaction(async (tx) => {
          const { value, changes, settle } = await work(tx, now);
          const applied = await this.applyChanges(tx, changes, now);
          return { value: settle ? settle(applied.applied) : value, applied };
        }),
      (r) => r.applied.changes.length > 0,
    );
    this.announce(applied.changes, applied.webhooks);
    return value;
  }

  /**
   * Empty the body of a message, and the text its stored webhook requests and the RELAY events kept
   * for parked sessions in the database carry, in the same transaction (a callback still retrying is
   * sent without it; a replay would erase it too, but it does not stay at rest until then); the
   * caller has checked that it may be redacted.
   */
  redact(projectId: string, id: string): Promise<MessageRecord | undefined> {
    this.deps.recent.forget(id);
    const write = () =>
      this.deps.store.transaction(async (tx) => {
        const m = await tx.messages.redact(projectId, id, this.deps.clock.now());
        if (m) {
          await tx.webhooks.eraseMessageText(projectId, id);
          await tx.relayParked.eraseMessageText(projectId, id);
        }
        return m;
      });
    return this.observe('a redaction', 'redactions are refused (503) until storage is back', write, (r) => r !== undefined);
  }

  /** Hide a message from listings (kept for `include_deleted`). */
  markDeleted(projectId: string, id: string): Promise<boolean> {
    return this.observe('a deletion', 'deletions are refused (503) until storage is back', () => this.deps.store.messages.markDeleted(projectId, id, this.deps.clock.now()), (r) => r);
  }

  /** Wait until every queued write is committed. */
  async drain(): Promise<void> {
    await this.creates.drain();
    await this.changes.drain();
  }

  /**
   * Run one write and keep what it says about storage: a `StoreUnavailableError` marks storage
   * failing (logged with its cause and `consequence`); a write that changed something (`wrote`: a
   * commit that changed nothing proves nothing about storage) marks it working again.
   */
  private async observe<T>(what: string, consequence: string, write: () => Promise<T>, wrote: (result: T) => boolean): Promise<T> {
    let result: T;
    try {
      result = await write();
    } catch (err) {
      if (isStoreUnavailable(err)) this.health.failed(err, what, consequence);
      throw err;
    }
    if (wrote(result)) this.health.succeeded();
    return result;
  }

  /** A small committed write (a lease taken and given back in one transaction): does storage take writes again? */
  private async probe(): Promise<void> {
    const name = `storage-probe:${this.deps.ids.uuid()}`;
    const now = this.deps.clock.now();
    const write = () =>
      this.deps.store.transaction(async (tx) => {
        await tx.leases.acquire(name, name, now, 60_000);
        return tx.leases.release(name, name);
      });
    await this.observe('a storage probe', 'readiness stays red', write, () => true).catch(() => undefined);
  }

  private async writeNew(items: NewWrite[]): Promise<Array<MessageRecord | null>> {
    const { store, ids, planners } = this.deps;
    const now = this.deps.clock.now();
    const { records, answers, changes, webhooks, taken, queued } = await store.transaction(async (tx) => {
      // Keys first: a message whose key another request holds is not written (its caller reads that one).
      const keyed = items.filter((i) => i.idempotency);
      const claimed = keyed.length
        ? new Set(
            (
              await tx.idempotency.claimMany(
                keyed.map(({ row, idempotency }) => ({ projectId: row.projectId, key: idempotency!.key, requestHash: idempotency!.requestHash, messageId: row.id, createdAt: now, expiresAt: now + IDEMPOTENCY_WINDOW_MS })),
                now,
              )
            ).map((k) => k.messageId),
          )
        : null;
      const rows = items.filter((i) => !i.idempotency || claimed!.has(i.row.id)).map((i) => i.row);
      if (rows.length === 0) return { records: [], answers: [], changes: [], webhooks: 0, taken: [], queued: 0 };
      // This node's dispatcher takes what it has room for at once: those messages are written
      // `initiated` (their `queued` event first, then `initiated`), their jobs leased to it, and
      // handed over after the commit (no claim, no state write before their submission). The others
      // wait `queued` in the queue for any node's claim.
      const local = this.dispatch;
      let room = local ? local.room() : 0;
      const taking = new Set<string>();
      if (room > 0) {
        for (const r of rows) {
          if (room === 0) break;
          if (r.status !== 'queued' || !local!.takes(r)) continue;
          taking.add(r.id);
          room--;
        }
      }
      // A taken row is written `initiated` (restated as one literal; the store gives it its real seq).
      const records = await tx.messages.insertMany(taking.size ? rows.map((r) => (taking.has(r.id) ? withState(withSeq(r, 0), restated(r, 'initiated', now)) : r)) : rows);
      const changes: StateChange[] = [];
      const answers: MessageRecord[] = [];
      for (const message of records) {
        if (!taking.has(message.id)) {
          changes.push({ message, event: firstEvent(message) });
          answers.push(message);
          continue;
        }
        const asQueued = withState(message, restated(message, 'queued', message.createdAt));
        changes.push({ message: asQueued, event: firstEvent(asQueued) });
        changes.push({ message, event: { messageId: message.id, projectId: message.projectId, status: 'initiated', at: now, errorCode: null, errorMessage: null, detail: { attempt: 1 } } });
        answers.push(asQueued);
      }
      await tx.events.insertMany(changes.map((c) => c.event));
      const media = records.flatMap((m) => mediaRecordsFor(m, () => ids.uuid()));
      if (media.length) await tx.media.insertMany(media);
      // Scheduled messages' jobs come due at their send time.
      const later = items.some((i) => i.runAt !== undefined) ? new Map(items.map((i) => [i.row.id, i.runAt])) : null;
      const queued: NewJob[] = [];
      const leased: NewJob[] = [];
      const leasedMessages: MessageRecord[] = [];
      for (const m of records) {
        if (m.status !== 'queued' && m.status !== 'scheduled' && !taking.has(m.id)) continue;
        const job: NewJob = { kind: 'dispatch', projectId: m.projectId, messageId: m.id, runAt: later?.get(m.id) ?? m.createdAt };
        if (taking.has(m.id)) {
          leased.push(job);
          leasedMessages.push(m);
        } else queued.push(job);
      }
      if (queued.length) await tx.jobs.enqueueMany(queued);
      const taken = leased.length ? (await tx.jobs.enqueueLeased(leased, local!.owner, now + local!.leaseMs)).map((job, i) => ({ job, message: leasedMessages[i]! })) : [];
      const webhooks = await planWebhooks(planners, changes, tx, now);
      if (webhooks.length) await tx.webhooks.enqueueMany(webhooks);
      return { records, answers, changes, webhooks: webhooks.length, taken, queued: queued.length };
    });
    for (const r of records) if (r.status === 'queued' || r.status === 'initiated') this.deps.recent.remember(r);
    this.announce(changes, webhooks);
    if (taken.length) this.dispatch!.adopt(taken);
    // Jobs left in the queue: wake the dispatchers (a scheduled one's timer is armed by the pass).
    if (queued > 0) this.deps.bus.publish('work.available', { queue: 'dispatch' });
    // The caller is answered with the message as accepted (`queued`), whatever happened since.
    const byId = new Map(answers.map((r) => [r.id, r]));
    return items.map((i) => byId.get(i.row.id) ?? null);
  }

  private async writeChanges(items: ChangeRequest[], retry = false): Promise<boolean[]> {
    const now = this.deps.clock.now();
    const result = await this.deps.store.transaction((tx) => this.applyChanges(tx, items, now));
    const earlier = retry && result.applied.includes(false) ? await this.writtenBefore(items, result.applied) : [];
    this.announce(earlier.length ? [...earlier, ...result.changes] : result.changes, result.webhooks);
    return result.applied;
  }

  /**
   * A retried batch whose guard refused changes: an earlier attempt may have written them, its
   * COMMIT going through while its answer was lost (PostgreSQL's connection ended just then). They
   * were never published, so RELAY sessions and the console never heard those states. Each refused
   * change whose state its message's stored timeline has is published now from the stored event,
   * and counted as applied (in `applied`, the first request per message and state), as the first
   * attempt would have; a change refused for another reason (a cancel came first) stays refused.
   */
  private async writtenBefore(items: readonly ChangeRequest[], applied: boolean[]): Promise<StateChange[]> {
    const { messages, events } = this.deps.store;
    const reads = new Map<string, Promise<[MessageRecord | undefined, MessageEventRecord[]]>>();
    const seen = new Set<string>();
    const found: StateChange[] = [];
    for (let i = 0; i < items.length; i++) {
      const c = items[i]!;
      const key = `${c.messageId}:${c.to}`;
      if (seen.has(key) || (seen.add(key), applied[i])) continue;
      let read = reads.get(c.messageId);
      if (!read) reads.set(c.messageId, (read = Promise.all([messages.get(c.projectId, c.messageId), events.listForMessage(c.projectId, c.messageId)])));
      const [message, timeline] = await read;
      const event = timeline.find((e) => e.status === c.to);
      if (!message || !event) continue;
      applied[i] = true;
      found.push({ message: withState(message, restated(message, c.to, event.at)), event });
    }
    return found;
  }


  /** Guarded updates, their event rows, finished jobs and planned webhooks, inside `tx`. */
  private async applyChanges(tx: Repositories, items: readonly ChangeRequest[], now: number): Promise<AppliedChanges> {
    if (items.length === 0) return { changes: [], webhooks: 0, applied: [] };
    // One literal per update (fields left undefined are not written: see `transitionMany`), no spreads: this runs for every change.
    const updates: TransitionUpdate[] = items.map((c) => {
      const entry = c.error ? ERRORS[c.error] : undefined;
      return {
        projectId: c.projectId,
        id: c.messageId,
        to: c.to,
        at: now,
        errorCode: entry ? String(entry.compat) : undefined,
        errorMessage: entry ? (c.errorDetail ? `${entry.message} (${c.errorDetail})` : entry.message) : undefined,
        reason: entry ? entry.native : undefined,
        carrier: c.carrier,
        carrierMessageId: c.carrierMessageId,
        price: c.price,
      };
    });
    const changed = await this.deps.recent.complete(tx, await tx.messages.transitionMany(updates));
    // A message can appear twice in one batch (e.g. sent and delivered); match each row to its request.
    // A duplicate (two receipts to one state) can only be the later round's, which the guard refuses:
    // the first request of each (message, state) is the one that applied, and its facts go on the event.
    const requests = new Map<string, ChangeRequest | ChangeRequest[]>();
    for (const c of items) {
      const earlier = requests.get(c.messageId);
      if (earlier === undefined) requests.set(c.messageId, c);
      else if (Array.isArray(earlier)) earlier.push(c);
      else requests.set(c.messageId, [earlier, c]);
    }
    const appliedRequests = new Set<ChangeRequest>();
    const changes: StateChange[] = changed.map((message) => {
      const req = firstRequest(requests.get(message.id), message.status);
      if (req) appliedRequests.add(req);
      const event: NewMessageEvent = {
        messageId: message.id,
        projectId: message.projectId,
        status: message.status,
        at: now,
        errorCode: req?.error ? message.errorCode : null,
        errorMessage: req?.error ? message.errorMessage : null,
        detail: eventDetail(req),
      };
      return { message, event };
    });
    if (changes.length) await tx.events.insertMany(changes.map((c) => c.event));
    const jobs = items.filter((c) => c.completesJob !== undefined).map((c) => c.completesJob!);
    if (jobs.length) await tx.jobs.deleteMany(jobs);
    const webhooks = await planWebhooks(this.deps.planners, changes, tx, now);
    if (webhooks.length) await tx.webhooks.enqueueMany(webhooks);
    return { changes, webhooks: webhooks.length, applied: items.map((c) => appliedRequests.has(c)) };
  }

  /** After a commit: publish each change, count it, and wake the webhook runner. */
  private announce(changes: readonly StateChange[], webhooksQueued: number): void {
    const { bus, metrics } = this.deps;
    const counts = new Map<MessageStatus, number>();
    for (const c of changes) {
      counts.set(c.message.status, (counts.get(c.message.status) ?? 0) + 1);
      bus.publish('message.status', { projectId: c.message.projectId, message: c.message, status: c.message.status, at: c.event.at, event: c.event });
    }
    for (const [status, n] of counts) metrics.messagesTransitioned(status, n);
    if (webhooksQueued > 0) bus.publish('work.available', { queue: 'webhooks' });
  }
}

/** The first of a message's requests in the batch that moves it to `status`. */
function firstRequest(requests: ChangeRequest | ChangeRequest[] | undefined, status: MessageStatus): ChangeRequest | undefined {
  if (requests === undefined) return undefined;
  if (!Array.isArray(requests)) return requests.to === status ? requests : undefined;
  return requests.find((c) => c.to === status);
}

/** Run every planner over a batch of changes. */
async function planWebhooks(planners: readonly WebhookPlanner[], changes: readonly StateChange[], tx: Repositories, now: number): Promise<NewWebhookDelivery[]> {
  if (changes.length === 0 || planners.length === 0) return [];
  const out: NewWebhookDelivery[] = [];
  for (const p of planners) out.push(...(await p.plan(changes, tx, now)));
  return out;
}

/** The event that opens a message's timeline: `queued` with its surface, or `received` with its carrier. */
function firstEvent(m: MessageRecord): NewMessageEvent {
  const detail = m.status === 'received' ? { carrier: m.carrier } : { origin: m.origin };
  return { messageId: m.id, projectId: m.projectId, status: m.status, at: m.createdAt, errorCode: null, errorMessage: null, detail };
}

function eventDetail(req: ChangeRequest | undefined): Record<string, unknown> | null {
  if (!req) return null;
  // The common case (detail facts only, no carrier fields or error) keeps the request's own object: it is not changed afterwards.
  if (req.carrier === undefined && req.carrierMessageId === undefined && !req.error) return req.detail && !isEmpty(req.detail) ? req.detail : null;
  // Built up from an empty literal (room for a few fields in the object itself), not a spread of the request's detail.
  const d: Record<string, unknown> = {};
  if (req.detail) for (const k of Object.keys(req.detail)) d[k] = req.detail[k];
  if (req.carrier !== undefined) d.carrier = req.carrier;
  if (req.carrierMessageId !== undefined) d.carrier_message_id = req.carrierMessageId;
  if (req.error) d.reason = ERRORS[req.error].native;
  return d;
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}
