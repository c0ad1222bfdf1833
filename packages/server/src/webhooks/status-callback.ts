/**
 * A status callback's delivery: a POST to the message's status callback URL for one state change,
 * due when the change happens, retried under the outbox's policy and without a fallback. Native
 * callbacks (JSON, `native-status-planner.ts`) and Compatibility ones (a form,
 * `compat-status-planner.ts`) differ only in their body and how it is signed.
 */
import type { MessageRecord } from '../domain/message.js';
import { OUTBOX_RETRY_POLICY, type NewWebhookDelivery } from '../domain/webhooks.js';

export function statusCallbackDelivery(m: MessageRecord, url: string, at: number, content: Pick<NewWebhookDelivery, 'contentType' | 'body' | 'signature'>): NewWebhookDelivery {
  return {
    projectId: m.projectId,
    messageId: m.id,
    kind: 'status_callback',
    url,
    method: 'POST',
    contentType: content.contentType,
    body: content.body,
    signature: content.signature,
    fallbackUrl: null,
    fallbackMethod: null,
    maxAttempts: OUTBOX_RETRY_POLICY,
    nextAttemptAt: at,
  };
}
