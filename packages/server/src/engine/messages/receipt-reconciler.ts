/**
 * Receipt reconciliation: a message a carrier accepted whose receipt never comes (a lost receipt,
 * an SMSC that died mid-burst) must not stay `sent` forever. On one timer per node, the
 * reconciler finds SMS still `sent` whose receipt is overdue — through the `messages_sent_age`
 * index, by carrier and send time — asks their carrier (`Carrier.query`: SMPP `query_sm`, the
 * simulator's rules) in batches, and records what it says through the journal with the detail
 * `{ reconciled: true }`. A message is asked about when it has been `sent` for
 * `reconcileAfterMs`, then again each time that age doubles; once it has been `sent` for
 * `giveUpAfterMs` it is asked one last time and, still unresolved, ends `undelivered` with 30008
 * (`RECEIPT_MISSING`).
 *
 * Ages, not per-message state, decide when a message is due: a pass at time `now` after one at
 * `since` reads, for each age `a`, the messages sent in `(since − a, now − a]` — index range scans
 * that need no extra write per message. A node's first pass (or its first after taking the work
 * over) reads everything overdue once.
 *
 * In a cluster each message is reconciled by one node: a carrier behind one connection (SMPP) by
 * the node holding that connection, the carriers every node has (the simulator) by the holder of
 * the `receipts` lease. MMS are left alone: networks send no MMS receipts (SignalWire documents
 * that MMS only ever reach `sent`), so an MMS at `sent` is as final as it gets.
 */
import type { Clock } from '../../domain/clock.js';
import type { MessageRecord } from '../../domain/message.js';
import type { Carrier, CarrierQuery, CarrierView } from '../../domain/ports/carrier.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { CarrierSelector, LeaseRepository, MessageRepository, SentCursor } from '../../domain/ports/store.js';
import { WorkLoop } from '../../util/work-loop.js';
import { RepeatedFailure } from '../../util/log-limiter.js';
import type { ChangeRequest, MessageJournal } from './journal.js';

export interface ReceiptReconcilerOptions {
  /** A message `sent` this long (ms) without a receipt gets its carrier asked. */
  readonly reconcileAfterMs: number;
  /** A message `sent` this long (ms) that its carrier cannot resolve ends `undelivered` 30008. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_RECONCILE_AFTER_MS = 10 * 60_000;
export const DEFAULT_GIVE_UP_AFTER_MS = 72 * 3_600_000;

/** What one pass did. */
export interface ReconcileSummary {
  /** Messages the carriers were asked about. */
  queried: number;
  /** Of those, how many the carriers' answers ended (delivered, undelivered, failed). */
  resolved: number;
  /** Messages ended at the deadline with `RECEIPT_MISSING`. */
  gaveUp: number;
}

export interface ReceiptReconcilerDeps {
  readonly messages: MessageRepository;
  readonly journal: MessageJournal;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly carriers: readonly Carrier[];
  /** Carriers behind one connection (SMPP): only the node where `isLocal` says so reconciles them. */
  readonly isSingleConnection: (carrierId: string) => boolean;
  readonly isLocal: (carrierId: string) => boolean;
  /** Several nodes: the other carriers are reconciled by whoever holds this lease (null: one node). */
  readonly lease: { readonly repository: LeaseRepository; readonly owner: string } | null;
}

/** Messages per query and per journal write. */
const BATCH = 100;
const LEASE_NAME = 'receipts';

/** A stretch of send times to read: `(after, upTo]`; `final` ones are past the deadline. */
interface SentRange {
  readonly after: number | null;
  readonly upTo: number;
  readonly final: boolean;
}

export class ReceiptReconciler {
  private readonly loop: WorkLoop;
  /** Per carrier (or `*` for carriers no longer configured): when this node's last pass over it ran. */
  private readonly lastPass = new Map<string, number>();
  private running: Promise<unknown> = Promise.resolve();
  private readonly tickMs: number;

  constructor(
    private readonly deps: ReceiptReconcilerDeps,
    private readonly opts: ReceiptReconcilerOptions,
  ) {
    // Late by at most a quarter of the first wait (a minute at most): a message due is read within one tick.
    this.tickMs = Math.min(60_000, Math.max(50, Math.floor(opts.reconcileAfterMs / 4)));
    this.loop = new WorkLoop(
      async () => {
        const startedAt = this.deps.clock.now();
        await this.reconcile();
        // A tick after the pass began: time moved on during the pass (the manual simulator clock) brings the next one due at once.
        this.loop.armAt(startedAt + this.tickMs, { poll: true });
      },
      deps.clock,
      new RepeatedFailure(deps.logger, 'error', 'receipt reconciliation failed; retrying shortly', 'receipt reconciliation succeeds again'),
    );
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.running.catch(() => undefined);
  }

  /** Run one pass now (passes never overlap); the timer runs them every tick. */
  reconcile(): Promise<ReconcileSummary> {
    const pass = this.running.catch(() => undefined).then(() => this.pass());
    this.running = pass;
    return pass;
  }

  private async pass(): Promise<ReconcileSummary> {
    const { clock, carriers, lease } = this.deps;
    const now = clock.now();
    const summary: ReconcileSummary = { queried: 0, resolved: 0, gaveUp: 0 };
    // The shared part of the work goes to one node; renewing each pass keeps it while this node lives.
    const shared = lease ? await lease.repository.acquire(LEASE_NAME, lease.owner, now, Math.max(30_000, 3 * this.tickMs)) : true;
    const seen = new Set<string>();
    for (const carrier of carriers) {
      const id = carrier.descriptor.id;
      if (seen.has(id)) continue;
      seen.add(id);
      const mine = this.deps.isSingleConnection(id) ? this.deps.isLocal(id) : shared;
      if (mine) await this.reconcileCarrier(id, id, carrier, now, summary);
      else this.lastPass.delete(id);
    }
    // Messages of carriers no longer configured: nobody can ask, but the deadline still holds.
    if (shared) await this.reconcileCarrier('*', { notIn: [...seen] }, null, now, summary);
    else this.lastPass.delete('*');
    if (summary.queried || summary.gaveUp) this.deps.logger.info({ ...summary }, 'receipt reconciliation pass');
    return summary;
  }

  private async reconcileCarrier(name: string, selector: CarrierSelector, carrier: Carrier | null, now: number, summary: ReconcileSummary): Promise<void> {
    const asks = carrier?.query !== undefined;
    const ranges = this.rangesDue(this.lastPass.get(name) ?? null, now, asks);
    const done = new Set<string>();
    for (const range of ranges) {
      let cursor: SentCursor | null = null;
      for (;;) {
        const page = await this.deps.messages.listSentBetween(selector, range.after, range.upTo, cursor, BATCH);
        if (page.length === 0) break;
        const last = page[page.length - 1]!;
        cursor = { sentAt: last.sentAt ?? 0, seq: last.seq };
        const batch = page.filter((m) => !done.has(m.id));
        for (const m of batch) done.add(m.id);
        if (batch.length) await this.settle(batch, asks ? carrier : null, now, summary);
        if (page.length < BATCH) break;
      }
    }
    this.lastPass.set(name, now);
  }

  /**
   * The send times due at `now` after a pass at `since`: for each age `a` (the first wait,
   * doubling, below the deadline) the messages that reached it since then; and everything past the
   * deadline. A first pass reads everything overdue. A carrier that cannot be asked only has the deadline.
   */
  private rangesDue(since: number | null, now: number, asks: boolean): SentRange[] {
    const { reconcileAfterMs: first, giveUpAfterMs: deadline } = this.opts;
    const final: SentRange = { after: null, upTo: now - deadline, final: true };
    if (!asks) return [final];
    if (since === null) return [{ after: now - deadline, upTo: now - first, final: false }, final];
    const ranges: SentRange[] = [];
    for (let age = first; age < deadline; age *= 2) {
      const after = Math.max(since - age, now - deadline);
      const upTo = now - age;
      if (upTo > after) ranges.push({ after, upTo, final: false });
    }
    ranges.push(final);
    return ranges;
  }

  /** Ask the carrier about a batch and record its answers; past the deadline, end the unresolved. */
  private async settle(batch: readonly MessageRecord[], carrier: Carrier | null, now: number, summary: ReconcileSummary): Promise<void> {
    const views = carrier ? await this.ask(carrier, batch) : batch.map((): CarrierView => ({ state: 'unknown', detail: 'no carrier to ask' }));
    if (carrier) summary.queried += batch.length;
    const deadline = now - this.opts.giveUpAfterMs;
    const changes: ChangeRequest[] = [];
    batch.forEach((m, i) => {
      const view = views[i]!;
      const base = { projectId: m.projectId, messageId: m.id } as const;
      switch (view.state) {
        case 'delivered':
          changes.push({ ...base, to: 'delivered', detail: { reconciled: true } });
          summary.resolved++;
          return;
        case 'undelivered':
        case 'failed':
          changes.push({ ...base, to: view.state, error: view.error, ...(view.detail ? { errorDetail: view.detail } : {}), detail: { reconciled: true } });
          summary.resolved++;
          return;
        case 'enroute':
        case 'unknown':
          if ((m.sentAt ?? m.updatedAt) > deadline) return;
          changes.push({
            ...base,
            to: 'undelivered',
            error: 'RECEIPT_MISSING',
            errorDetail: view.state === 'enroute' ? 'the carrier still reports it en route' : `the carrier could not say${'detail' in view && view.detail ? `: ${view.detail}` : ''}`,
            detail: { reconciled: true, gave_up: true, carrier_state: view.state },
          });
          summary.gaveUp++;
      }
    });
    if (changes.length) await this.deps.journal.recordMany(changes);
  }

  /** The carrier's views, one per message; a carrier that cannot be asked now knows nothing. */
  private async ask(carrier: Carrier, batch: readonly MessageRecord[]): Promise<CarrierView[]> {
    const queries: CarrierQuery[] = batch.map((m) => ({
      messageId: m.id,
      projectId: m.projectId,
      from: m.from,
      to: m.to,
      carrierMessageId: m.carrierMessageId,
      segments: m.segments,
      sentAt: m.sentAt ?? m.updatedAt,
    }));
    try {
      const views = await carrier.query!(queries);
      if (views.length === batch.length) return views;
      throw new Error(`carrier ${carrier.descriptor.id} answered ${views.length} views for ${batch.length} messages`);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.deps.logger.warn({ err, carrier: carrier.descriptor.id, messages: batch.length }, 'asking a carrier about overdue receipts failed');
      return batch.map(() => ({ state: 'unknown', detail }));
    }
  }
}
