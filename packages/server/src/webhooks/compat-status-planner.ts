/**
 * Compatibility API status callbacks (rest-apis §B.7): a form POST per status change of a message
 * sent with `StatusCallback` (or an `ApplicationSid` whose application has one), with the union of
 * SignalWire's and Twilio's fields, signed Base64 with both `X-SignalWire-Signature` and
 * `X-Twilio-Signature`. Retried under the outbox's policy like native callbacks (a window, optionally
 * capped in attempts to mimic a provider); timeouts from the URL's `#ot=&rt=&tt=` fragment.
 */
import type { NewWebhookDelivery } from '../domain/webhooks.js';
import type { StateChange, WebhookPlanner } from '../engine/messages/state-change.js';
import { formBody, statusCallbackParams } from './compat-form.js';
import { statusCallbackDelivery } from './status-callback.js';

export class CompatStatusCallbackPlanner implements WebhookPlanner {
  plan(changes: readonly StateChange[]): NewWebhookDelivery[] {
    const out: NewWebhookDelivery[] = [];
    for (const { message: m, event } of changes) {
      if (!m.statusCallback || m.callbackFormat !== 'form') continue;
      const body = formBody({ ...statusCallbackParams(m, event.status, event.errorCode ?? m.errorCode, event.at) });
      out.push(statusCallbackDelivery(m, m.statusCallback, event.at, { contentType: 'application/x-www-form-urlencoded', body, signature: 'form-base64' }));
    }
    return out;
  }
}
