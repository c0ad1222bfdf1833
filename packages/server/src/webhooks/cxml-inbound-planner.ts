/**
 * Inbound cXML webhooks (rest-apis §B.8): a message received on a number whose handler is
 * `laml_webhooks` (its `message_request_url`) or `laml_application` (the application's `sms_url`)
 * is offered to that URL — form POST or GET query, signed like every form webhook — and the
 * answer is executed as a cXML document (see cxml/). A failing primary URL is not retried but
 * falls back once to the fallback URL. Replies sent by a `<Message action=…>` request the action
 * URL once they are sent or have failed, and that answer is executed the same way.
 */
import type { MessageRecord } from '../domain/message.js';
import type { Repositories } from '../domain/ports/store.js';
import type { PhoneNumberRecord } from '../domain/project.js';
import type { NewWebhookDelivery } from '../domain/webhooks.js';
import type { StateChange, WebhookPlanner } from '../engine/messages/state-change.js';
import { formBody, inboundParams } from './compat-form.js';

/** Where an inbound message to a number is offered, if anywhere. */
export interface CxmlTarget {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly fallbackUrl: string | null;
  readonly fallbackMethod: 'GET' | 'POST';
}

/** The cXML target of a number, looking up its application when it uses one. */
export async function cxmlTargetOf(n: PhoneNumberRecord, tx: Repositories): Promise<CxmlTarget | null> {
  if (n.messageHandler === 'laml_webhooks' && n.messageRequestUrl) {
    return { url: n.messageRequestUrl, method: n.messageRequestMethod, fallbackUrl: n.messageFallbackUrl, fallbackMethod: n.messageFallbackMethod };
  }
  if (n.messageHandler === 'laml_application') {
    const appId = n.messageLamlApplicationId ?? n.messagingHandlerResourceId;
    const app = appId ? await tx.applications.get(n.projectId, appId) : undefined;
    if (app?.smsUrl) return { url: app.smsUrl, method: app.smsMethod, fallbackUrl: app.smsFallbackUrl, fallbackMethod: app.smsFallbackMethod };
  }
  return null;
}

/** A delivery offering a message's parameters to a cXML URL (inbound request, redirect or action). */
export function cxmlDelivery(
  m: MessageRecord,
  kind: 'inbound_message' | 'message_action',
  target: CxmlTarget,
  params: Readonly<Record<string, string | undefined>>,
  at: number,
): NewWebhookDelivery {
  return {
    projectId: m.projectId,
    messageId: m.id,
    kind,
    url: target.url,
    method: target.method,
    contentType: target.method === 'POST' ? 'application/x-www-form-urlencoded' : null,
    body: formBody(params),
    signature: 'form-base64',
    fallbackUrl: target.fallbackUrl,
    fallbackMethod: target.fallbackUrl ? target.fallbackMethod : null,
    // Document fetches are not retried; the last (second) attempt goes to the fallback URL.
    maxAttempts: target.fallbackUrl ? 2 : 1,
    nextAttemptAt: at,
  };
}

export class CxmlInboundPlanner implements WebhookPlanner {
  async plan(changes: readonly StateChange[], tx: Repositories, now: number): Promise<NewWebhookDelivery[]> {
    const out: NewWebhookDelivery[] = [];
    const targets = new Map<string, CxmlTarget | null>();
    for (const { message: m, event } of changes) {
      if (m.direction === 'inbound' && event.status === 'received') {
        const key = `${m.projectId}\u0000${m.to}`;
        if (!targets.has(key)) {
          const n = await tx.numbers.getByNumber(m.projectId, m.to);
          targets.set(key, n ? await cxmlTargetOf(n, tx) : null);
        }
        const target = targets.get(key);
        if (target) out.push(cxmlDelivery(m, 'inbound_message', target, { ...inboundParams(m) }, now));
      } else if (m.statusCallback && (m.callbackFormat === 'action-post' || m.callbackFormat === 'action-get') && (event.status === 'sent' || event.status === 'failed')) {
        const target: CxmlTarget = { url: m.statusCallback, method: m.callbackFormat === 'action-get' ? 'GET' : 'POST', fallbackUrl: null, fallbackMethod: 'POST' };
        out.push(cxmlDelivery(m, 'message_action', target, actionParams(m, event.status, event.errorCode ?? m.errorCode), now));
      }
    }
    return out;
  }
}

/** What a `<Message action>` URL receives: the reply's message fields plus its status and error code. */
function actionParams(m: MessageRecord, status: 'sent' | 'failed', errorCode: string | null): Record<string, string | undefined> {
  return { ...inboundParams(m), SmsStatus: status, MessageStatus: status, ...(errorCode ? { ErrorCode: errorCode } : {}) };
}
