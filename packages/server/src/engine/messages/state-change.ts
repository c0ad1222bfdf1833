import type { MessageRecord, NewMessageEvent } from '../../domain/message.js';
import type { Repositories } from '../../domain/ports/store.js';
import type { NewWebhookDelivery } from '../../domain/webhooks.js';

/** A message that just entered a state, with the event row written for it. */
export interface StateChange {
  readonly message: MessageRecord;
  readonly event: NewMessageEvent;
}

/**
 * Decides which webhooks a batch of state changes causes (status callbacks, inbound-message
 * webhooks). Runs inside the transaction that records the changes, so a change and its webhooks
 * are committed together; it may read through `tx` but must not call anything but the database.
 */
export interface WebhookPlanner {
  plan(changes: readonly StateChange[], tx: Repositories, now: number): NewWebhookDelivery[] | Promise<NewWebhookDelivery[]>;
}
