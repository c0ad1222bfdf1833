import type { NewWebhookDelivery, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus } from '../../webhooks.js';

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
