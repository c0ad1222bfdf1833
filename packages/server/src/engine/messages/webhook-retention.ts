/**
 * Retention of the webhook outbox. Every status callback, inbound webhook and cXML request is a row
 * of `webhook_deliveries` (and each attempt one of `webhook_attempts`), kept after it settled so
 * the console can show it, retry it or replay it; without retention a busy server's database grew
 * for ever. A timer on every node deletes deliveries settled longer ago than their retention
 * (delivered: 7 days, failed for good: 30 days, by default) with their attempts, a page of the table
 * per statement and transaction (`batchSize` rows), yielding to the event loop between pages.
 *
 * Never deleted: pending deliveries (waiting or retrying), deliveries of a message still in flight,
 * and an inbound message's cXML request while a reply of its exchange is in flight. With several
 * nodes the holder of the `retention` lease runs the passes; deletes are idempotent, so two nodes
 * running at once (a lease that ran out mid-pass) delete nothing twice and nothing more.
 */
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { EngineMetrics } from '../../domain/ports/metrics.js';
import type { LeaseRepository, WebhookRepository } from '../../domain/ports/store.js';
import { RepeatedFailure } from '../../util/log-limiter.js';
import { PeriodicPass } from '../../util/periodic-pass.js';

export interface RetentionOptions {
  /** How long a delivered webhook is kept after it was delivered (ms); 0 keeps them for good. */
  readonly deliveredWebhooksMs: number;
  /** How long a webhook that failed for good is kept (ms; re-drives reach only these); 0 keeps them for good. */
  readonly failedWebhooksMs: number;
  /** Time between passes (ms). */
  readonly intervalMs: number;
  /** Rows of the outbox per statement and transaction. */
  readonly batchSize: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_RETENTION: RetentionOptions = { deliveredWebhooksMs: 7 * DAY_MS, failedWebhooksMs: 30 * DAY_MS, intervalMs: 600_000, batchSize: 1000 };

/** The lease whose holder runs the passes when nodes share the database. */
export const RETENTION_LEASE = 'retention';

/** What one pass deleted, and how many pages (statements' transactions) it took. */
export interface RetentionSummary {
  readonly deliveries: number;
  readonly attempts: number;
  readonly pages: number;
}

export class WebhookRetention {
  private readonly passes = new PeriodicPass(() => this.run());
  private stopped = false;

  constructor(
    private readonly deps: {
      readonly webhooks: Pick<WebhookRepository, 'pruneSettled'>;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly metrics: EngineMetrics;
      /** Several nodes: only the holder of `RETENTION_LEASE` prunes (null: one node). */
      readonly lease: { readonly repository: LeaseRepository; readonly owner: string } | null;
    },
    private readonly options: RetentionOptions,
  ) {}

  start(): void {
    this.stopped = false;
    if (this.options.deliveredWebhooksMs === 0 && this.options.failedWebhooksMs === 0) return;
    this.passes.start(this.options.intervalMs, new RepeatedFailure(this.deps.logger, 'warn', 'deleting old webhook deliveries failed', 'deleting old webhook deliveries succeeds again'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.passes.stop();
  }

  /** One pass now (one at a time: a call during a pass gets that pass). */
  prune(): Promise<RetentionSummary> {
    return this.passes.now();
  }

  private async run(): Promise<RetentionSummary> {
    const { webhooks, clock, metrics, lease } = this.deps;
    const { deliveredWebhooksMs, failedWebhooksMs, batchSize, intervalMs } = this.options;
    const now = clock.now();
    const cutoffs = { deliveredBefore: deliveredWebhooksMs > 0 ? now - deliveredWebhooksMs : null, failedBefore: failedWebhooksMs > 0 ? now - failedWebhooksMs : null };
    let deliveries = 0;
    let attempts = 0;
    let pages = 0;
    let afterId = 0;
    for (;;) {
      // Held across passes by the node that runs them; renewed before every page, so a long pass
      // stops when another node took the lease over.
      if (lease && !(await lease.repository.acquire(RETENTION_LEASE, lease.owner, clock.now(), Math.max(60_000, 3 * intervalMs)))) break;
      const page = await webhooks.pruneSettled(cutoffs, afterId, batchSize);
      pages++;
      deliveries += page.deliveries;
      attempts += page.attempts;
      if (page.deliveries) metrics.rowsPruned('webhook_deliveries', page.deliveries);
      if (page.attempts) metrics.rowsPruned('webhook_attempts', page.attempts);
      if (page.done || this.stopped) break;
      afterId = page.lastId;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deliveries) this.deps.logger.info({ deliveries, attempts }, 'deleted webhook deliveries past their retention');
    return { deliveries, attempts, pages };
  }
}
