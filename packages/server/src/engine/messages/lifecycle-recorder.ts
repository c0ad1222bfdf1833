/**
 * Records state changes of messages: guarded updates, event rows and the webhooks they cause in
 * one transaction (batched across concurrent callers), then announces them on the bus.
 */
import type { ErrorKey, MessageStatus } from '@switchboard/protocol';
import { ERRORS } from '@switchboard/protocol';
import type { Clock } from '../../domain/clock.js';
import type { NewMessageEvent } from '../../domain/message.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { EngineMetrics } from '../../domain/ports/metrics.js';
import { isStoreUnavailable, type Repositories, type Store, type TransitionUpdate } from '../../domain/ports/store.js';
import type { NewWebhookDelivery } from '../../domain/webhooks.js';
import { Batcher } from '../../util/batcher.js';
import type { RecentMessages } from './recent-messages.js';
import type { StateChange, WebhookPlanner } from './state-change.js';

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

/** What applying a batch of changes inside a transaction produced. */
export interface AppliedChanges {
  readonly changes: StateChange[];
  readonly webhooks: number;
  /** Per request: whether the message was in a state that allowed the change. */
  readonly applied: boolean[];
}

/** Turn a catalogue error into the stored failure fields. */
export function failureFields(error: ErrorKey | undefined, extra?: string): Pick<TransitionUpdate, 'errorCode' | 'errorMessage' | 'reason'> {
  if (!error) return {};
  const entry = ERRORS[error];
  return { errorCode: String(entry.compat), errorMessage: extra ? `${entry.message} (${extra})` : entry.message, reason: entry.native };
}

/** Publishes committed changes and wakes the webhook runner: the one post-commit step. */
export class ChangeAnnouncer {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: EngineMetrics,
  ) {}

  announce(changes: readonly StateChange[], webhooksQueued: number): void {
    const counts = new Map<MessageStatus, number>();
    for (const c of changes) {
      counts.set(c.message.status, (counts.get(c.message.status) ?? 0) + 1);
      this.bus.publish('message.status', {
        projectId: c.message.projectId,
        message: c.message,
        status: c.message.status,
        at: c.event.at,
        event: c.event,
      });
    }
    for (const [status, n] of counts) this.metrics.messagesTransitioned(status, n);
    if (webhooksQueued > 0) this.bus.publish('work.available', { queue: 'webhooks' });
  }
}

/** Run every planner over a batch of changes. */
export async function planWebhooks(planners: readonly WebhookPlanner[], changes: readonly StateChange[], tx: Repositories, now: number): Promise<NewWebhookDelivery[]> {
  if (changes.length === 0 || planners.length === 0) return [];
  const out: NewWebhookDelivery[] = [];
  for (const p of planners) out.push(...(await p.plan(changes, tx, now)));
  return out;
}

export class LifecycleRecorder {
  private readonly batcher: Batcher<ChangeRequest, boolean>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly planners: readonly WebhookPlanner[],
    private readonly announcer: ChangeAnnouncer,
    private readonly recent: RecentMessages,
  ) {
    // Receipts and carrier answers exist only in memory until recorded: while the database is
    // unreachable they wait (no new work is claimed meanwhile), rather than being lost.
    this.batcher = new Batcher((items) => this.flush(items), 2000, (err, attempt) => (isStoreUnavailable(err) && attempt <= 200 ? Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)) : null));
  }

  /** Apply one change; resolves true if the message was in a state that allowed it. */
  record(change: ChangeRequest): Promise<boolean> {
    return this.batcher.add(change);
  }

  /** Apply many changes; one result per change. */
  recordMany(changes: readonly ChangeRequest[]): Promise<boolean[]> {
    return this.batcher.addMany(changes);
  }

  /** Wait until every queued change is committed. */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  /** Apply changes inside the caller's transaction; call `announce` with the result after commit. */
  async applyInTransaction(tx: Repositories, items: readonly ChangeRequest[], now: number): Promise<AppliedChanges> {
    const updates: TransitionUpdate[] = items.map((c) => ({
      projectId: c.projectId,
      id: c.messageId,
      to: c.to,
      at: now,
      ...failureFields(c.error, c.errorDetail),
      ...(c.carrier !== undefined ? { carrier: c.carrier } : {}),
      ...(c.carrierMessageId !== undefined ? { carrierMessageId: c.carrierMessageId } : {}),
      ...(c.price !== undefined ? { price: c.price } : {}),
    }));
    const changed = updates.length ? await this.recent.complete(tx, await tx.messages.transitionMany(updates)) : [];
    // A message can appear twice in one batch (e.g. sent and delivered); match each row to its request.
    const byKey = new Map<string, ChangeRequest>();
    for (const c of items) byKey.set(`${c.messageId}\u0000${c.to}`, c);
    const changes: StateChange[] = changed.map((message) => {
      const req = byKey.get(`${message.id}\u0000${message.status}`);
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
    const webhooks = await planWebhooks(this.planners, changes, tx, now);
    if (webhooks.length) await tx.webhooks.enqueueMany(webhooks);
    const appliedKeys = new Set(changes.map((c) => `${c.message.id}\u0000${c.message.status}`));
    return { changes, webhooks: webhooks.length, applied: items.map((c) => appliedKeys.has(`${c.messageId}\u0000${c.to}`)) };
  }

  /** Publish committed changes (bus, metrics, webhook wake-up). */
  announce(result: AppliedChanges): void {
    this.announcer.announce(result.changes, result.webhooks);
  }

  private async flush(items: ChangeRequest[]): Promise<boolean[]> {
    const now = this.clock.now();
    const result = await this.store.transaction((tx) => this.applyInTransaction(tx, items, now));
    this.announce(result);
    return result.applied;
  }
}

function eventDetail(req: ChangeRequest | undefined): Record<string, unknown> | null {
  if (!req) return null;
  const d: Record<string, unknown> = { ...req.detail };
  if (req.carrier !== undefined) d.carrier = req.carrier;
  if (req.carrierMessageId !== undefined) d.carrier_message_id = req.carrierMessageId;
  if (req.error) d.reason = ERRORS[req.error].native;
  return Object.keys(d).length ? d : null;
}
