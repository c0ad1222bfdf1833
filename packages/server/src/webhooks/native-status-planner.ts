/**
 * Native status callbacks (rest-apis §A.4): a JSON POST per state change to the message's
 * `status_callback`, signed with hex HMAC-SHA1. Also used for RELAY messages sent with a callback.
 * Retried under the outbox's policy (`webhooks.retryWindowMs`, optionally `webhooks.maxAttempts`).
 */
import type { NativeStatusCallback } from '@switchboard/protocol';
import type { NewWebhookDelivery } from '../domain/webhooks.js';
import type { StateChange, WebhookPlanner } from '../engine/messages/state-change.js';
import { statusCallbackDelivery } from './status-callback.js';

export class NativeStatusCallbackPlanner implements WebhookPlanner {
  plan(changes: readonly StateChange[]): NewWebhookDelivery[] {
    const out: NewWebhookDelivery[] = [];
    for (const { message: m, event } of changes) {
      if (!m.statusCallback || m.callbackFormat !== 'json') continue;
      const payload: NativeStatusCallback = {
        id: m.id,
        project_id: m.projectId,
        status: event.status,
        to: m.to,
        from: m.from,
        body: m.body,
        number_of_segments: m.segments,
        timestamp: new Date(event.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        error_code: event.errorCode,
        error_message: event.errorMessage,
        ...(m.customVariables ? { custom_variables: { ...m.customVariables } } : {}),
      };
      out.push(statusCallbackDelivery(m, m.statusCallback, event.at, { contentType: 'application/json', body: JSON.stringify(payload), signature: 'json-hex' }));
    }
    return out;
  }
}
