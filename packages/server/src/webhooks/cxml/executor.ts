/**
 * Executes the cXML documents that inbound-message, redirect and action webhooks answer with:
 * `<Message>` verbs are sent through the one send use case as `outbound-reply` messages (replying
 * to the conversation by default), `<Redirect>` queues a request to the next document with the
 * same parameters. Problems are reported with their codes (11750 too large, 12100 not cXML,
 * 14106 and 14109 for an exchange's limits, the send codes for a refused reply) on the webhook
 * delivery and in the log; none of them stops the message pipeline. A document fetch that failed
 * or answered badly falls back to the fallback URL, when there is one.
 */
import { ERRORS } from '@switchboard/protocol';
import { isAppError } from '../../domain/app-error.js';
import type { MessageRecord } from '../../domain/message.js';
import type { SendInput } from '../../domain/send-request.js';
import { nextAttemptTarget, type WebhookDeliveryRecord } from '../../domain/webhooks.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { Engine } from '../../engine/index.js';
import type { WebhookResponse } from '../http-client.js';
import { timeoutsFromUrl } from '../timeouts.js';
import type { ResponseVerdict } from '../webhook-runner.js';
import { HTTP_URL_RULE, parseHttpUrl } from '../../domain/urls.js';
import { parseCxml, type MessageVerb } from './document.js';

/**
 * Most documents the exchange of one inbound message requests: the inbound request, every
 * `<Redirect>` and every `<Message action>` request, however they chain. Twilio's limit, past which
 * it reports 14106 (twilio.com/docs/api/errors/14106: a message reply session requests at most 50
 * documents); it ends loops of redirects and actions.
 */
export const MAX_DOCUMENTS = 50;
/**
 * Most replies cXML documents send for one inbound message, across its redirects and
 * `<Message action>` documents: Twilio's limit, past which it reports 14109 and sends no more
 * (twilio.com/docs/api/errors/14109). An action URL answering with another `<Message action>`
 * would otherwise keep replying forever.
 */
export const MAX_REPLIES = 10;

export class CxmlExecutor {
  constructor(
    private readonly deps: {
      readonly engine: Pick<Engine, 'acceptor' | 'reads' | 'webhookOutbox' | 'clock'>;
      readonly logger: Logger;
    },
  ) {}

  /** The webhook runner's response handler for `inbound_message` and `message_action` deliveries. */
  readonly handle = async (d: WebhookDeliveryRecord, res: WebhookResponse): Promise<ResponseVerdict> => {
    if (res.truncated) return this.fail(d, `${ERRORS.WEBHOOK_RESPONSE_TOO_LARGE.compat}: the cXML document is larger than 64 kB`, true);
    const parsed = parseCxml(res.body);
    if (!parsed.ok) return this.fail(d, `${ERRORS.CXML_PARSE_ERROR.compat}: ${parsed.error}`, true);
    if (parsed.verbs.length === 0) return { ok: true };

    const context = d.messageId ? await this.deps.engine.reads.messages.get(d.projectId, d.messageId) : undefined;
    if (!context) return this.fail(d, `${ERRORS.NOT_FOUND.compat}: the message this document answers no longer exists`, false);
    // The URL this attempt requested (the fallback on a delivery's last attempt), without its timeouts fragment.
    const documentUrl = timeoutsFromUrl(nextAttemptTarget(d).url).url;
    // The exchange this document belongs to: the inbound message's, continued by redirects and actions.
    const session = d.kind === 'inbound_message' ? context.id : (context.cxmlSession ?? context.id);
    let replies = parsed.verbs.some((v) => v.verb === 'Message') ? await this.deps.engine.reads.messages.countInCxmlSession(d.projectId, session) : 0;
    // This document may ask for another only while the exchange is under the limit. Counted up to
    // this delivery, so a run of the same attempt again decides the same.
    let documents: number | undefined;
    const atDocumentLimit = async () => (documents ??= await this.deps.engine.reads.webhooks.countCxmlDocuments(d.projectId, session, d.id)) >= MAX_DOCUMENTS;
    const documentLimit = (what: string) => `${ERRORS.CXML_DOCUMENT_LIMIT.compat}: ${MAX_DOCUMENTS} documents were already requested for inbound message ${session}; ${what}`;
    const problems: string[] = [];
    for (const [i, verb] of parsed.verbs.entries()) {
      if (verb.verb === 'Redirect') {
        const problem = await this.redirect(d, resolveUrl(verb.url, documentUrl), verb.method, atDocumentLimit);
        if (problem) problems.push(problem === 'over the limit' ? documentLimit('this <Redirect> was not followed') : problem);
        break;
      }
      // One key per verb of this attempt: a document executed again (the node died before recording
      // the attempt) gets its replies back instead of sending them twice. At the limit only those
      // pass: they are in `replies` already, counted from the store.
      const key = `cxml:${d.id}:${d.attempts + 1}:${i}`;
      // An action request past the limit is not made: the reply goes without it (nor a status callback).
      const withoutAction = verb.action !== null && (await atDocumentLimit());
      const outcome = await this.send(context, withoutAction ? { ...verb, action: null, statusCallback: null } : verb, documentUrl, d.kind === 'inbound_message', session, key, replies >= MAX_REPLIES);
      if (outcome === 'over the limit') {
        problems.push(`${ERRORS.CXML_REPLY_LIMIT.compat}: ${MAX_REPLIES} replies were already sent for inbound message ${session}; this <Message> and the rest of the document were not executed`);
        break;
      }
      if (outcome === 'sent') replies++;
      // A reply an earlier run of this attempt sent is in `replies` already (counted from the store).
      else if (outcome !== 'sent before') problems.push(outcome);
      if (withoutAction && (outcome === 'sent' || outcome === 'sent before')) problems.push(documentLimit('the reply was sent, its action URL was not requested'));
      // A <Message action> hands control to the action's document: nothing after it runs.
      if (verb.action) break;
    }
    return problems.length ? this.fail(d, problems.join('; '), false) : { ok: true };
  };

  /**
   * Send one `<Message>`: 'sent', 'sent before' (by an earlier run of this attempt), or why it was
   * refused. With `atLimit` nothing new is sent: 'over the limit' unless an earlier run sent it.
   */
  private async send(context: MessageRecord, verb: MessageVerb, documentUrl: string, isInbound: boolean, session: string, key: string, atLimit: boolean): Promise<string> {
    // In an inbound conversation the reply goes back to the sender from the number written to;
    // an action document continues the conversation of the reply it reports on.
    const defaultTo = isInbound ? context.from : context.to;
    const defaultFrom = isInbound ? context.to : context.from;
    const action = verb.action ? resolveUrl(verb.action, documentUrl) : null;
    const statusCallback = !action && verb.statusCallback ? resolveUrl(verb.statusCallback, documentUrl) : null;
    const input: SendInput = {
      to: verb.to ?? defaultTo,
      from: verb.from ?? defaultFrom,
      body: verb.body,
      // Relative <Media> URLs resolve against the document's URL, like action and <Redirect>.
      media: verb.media.map((url) => resolveUrl(url, documentUrl)),
      origin: 'reply',
      statusCallback: action ?? statusCallback,
      callbackFormat: action ? (verb.method === 'GET' ? 'action-get' : 'action-post') : 'form',
      numberGroupId: null,
      cxmlSession: session,
    };
    const { acceptor } = this.deps.engine;
    try {
      if (atLimit) {
        const earlier = await acceptor.replayOf(context.projectId, input, key);
        if (!earlier) return 'over the limit';
        this.deps.logger.info({ messageId: earlier.id, inReplyTo: context.id, replayed: true }, 'cXML <Message> already sent by an earlier run of this attempt');
        return 'sent before';
      }
      const { message: sent, replayed } = await acceptor.acceptOnce(context.projectId, input, key);
      this.deps.logger.info({ messageId: sent.id, inReplyTo: context.id, replayed }, replayed ? 'cXML <Message> already sent by an earlier run of this attempt' : 'cXML <Message> queued');
      return replayed ? 'sent before' : 'sent';
    } catch (err) {
      if (!isAppError(err)) throw err;
      // The slot was used by an earlier run of this attempt whose document read differently: sent already.
      if (err.details[0]!.key === 'IDEMPOTENCY_KEY_REUSED') return 'sent before';
      const d = err.details[0]!;
      return `${ERRORS[d.key].compat}: <Message> refused: ${d.message}`;
    }
  }

  /** Queue the request for the next document: null, 'over the limit' (of documents), or why not. */
  private async redirect(d: WebhookDeliveryRecord, url: string, method: 'GET' | 'POST', atDocumentLimit: () => Promise<boolean>): Promise<string | null> {
    const { webhookOutbox, clock } = this.deps.engine;
    if (!parseHttpUrl(url)) return `${ERRORS.CXML_PARSE_ERROR.compat}: <Redirect> URL ${JSON.stringify(url.slice(0, 200))} is not ${HTTP_URL_RULE}`;
    if (await atDocumentLimit()) return 'over the limit';
    await webhookOutbox.schedule([
      {
        projectId: d.projectId,
        messageId: d.messageId,
        kind: d.kind,
        url,
        method,
        contentType: method === 'POST' ? 'application/x-www-form-urlencoded' : null,
        body: d.body,
        signature: 'form-base64',
        fallbackUrl: null,
        fallbackMethod: null,
        maxAttempts: 1,
        nextAttemptAt: clock.now(),
      },
    ]);
    return null;
  }

  private fail(d: WebhookDeliveryRecord, error: string, retryable: boolean): ResponseVerdict {
    this.deps.logger.warn({ deliveryId: d.id, messageId: d.messageId, kind: d.kind, error }, 'cXML document not executed as a whole');
    return { ok: false, error, retryable };
  }
}

/** Resolve a possibly relative URL against the document's URL (as Twilio does). */
function resolveUrl(url: string, base: string): string {
  try {
    return new URL(url, base).toString();
  } catch {
    return url;
  }
}
