import { describe, expect, it } from 'vitest';
import { nextRetryAt, OUTBOX_RETRY_POLICY, type WebhookDeliveryRecord, type WebhookRetryPolicy } from './webhooks.js';

const policy: WebhookRetryPolicy = { windowMs: 1_000, maxAttempts: null, backoff: { initialMs: 100, maxMs: 400, jitter: 0 } };
const delivery = { maxAttempts: OUTBOX_RETRY_POLICY, retryFrom: 10_000 } as WebhookDeliveryRecord;

describe('nextRetryAt within the retry window', () => {
  it('backs off inside the window, and makes the last attempt at its close', () => {
    expect(nextRetryAt(delivery, 1, 10_200, policy)).toBe(10_300);
    expect(nextRetryAt(delivery, 5, 10_900, policy)).toBe(11_000);
  });

  it('follows an attempt that began before the close and ended after it with one at the close, at once', () => {
    expect(nextRetryAt(delivery, 6, 11_003, policy, 10_999)).toBe(11_000);
  });

  it('gives up after an attempt that began at or after the close', () => {
    expect(nextRetryAt(delivery, 7, 11_004, policy, 11_000)).toBeNull();
    expect(nextRetryAt(delivery, 7, 11_004, policy)).toBeNull();
  });
});
