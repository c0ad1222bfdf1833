/**
 * Writes to the webhook outbox that are not caused by a message change (those the journal plans):
 * an operator's "retry now" and bulk re-drive, and deliveries a cXML document asks for (`<Redirect>`). Each wakes the
 * webhook runner after its commit.
 */
import type { Clock } from '../../domain/clock.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { WebhookRedriveFilter, WebhookRepository } from '../../domain/ports/store.js';
import type { NewWebhookDelivery } from '../../domain/webhooks.js';

export class WebhookOutbox {
  constructor(
    private readonly deps: {
      readonly webhooks: WebhookRepository;
      readonly clock: Clock;
      readonly bus: Bus;
    },
  ) {}

  /** Make a failed or waiting delivery of the project due now; false when it cannot be retried. */
  async retryNow(projectId: string, id: number): Promise<boolean> {
    const ok = await this.deps.webhooks.retryNow(projectId, id, this.deps.clock.now());
    if (ok) this.wake();
    return ok;
  }

  /** Re-queue the project's failed deliveries that match, each with a fresh retry window; returns how many. */
  async redrive(projectId: string, filter: WebhookRedriveFilter): Promise<number> {
    const n = await this.deps.webhooks.redrive(projectId, filter, this.deps.clock.now());
    if (n > 0) this.wake();
    return n;
  }

  /** Queue further deliveries. */
  async schedule(deliveries: readonly NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.deps.webhooks.enqueueMany(deliveries);
    this.wake();
  }

  private wake(): void {
    this.deps.bus.publish('work.available', { queue: 'webhooks' });
  }
}
