/** Stored records in the console API's wire shapes (`@switchboard/protocol` rest/console). */
import {
  analyzeBody,
  nonGsmCharacters,
  splitSegments,
  type ConsoleConversation,
  type ConsoleHandsetMessage,
  type ConsoleMessage,
  type ConsoleMessageEvent,
  type ConsoleMessageSummary,
  type ConsoleSegments,
  type ConsoleWebhookAttempt,
  type ConsoleWebhookDelivery,
} from '@switchboard/protocol';
import type { MessageEventRecord, MessageRecord } from '../../domain/message.js';
import type { ConversationRecord, HandsetMessageRecord } from '../../domain/ports/store.js';
import type { WebhookAttemptRecord, WebhookDeliveryRecord } from '../../domain/webhooks.js';
import { maskPassword } from '../../domain/urls.js';
import type { ProjectSeals } from '../sealed-positions.js';

/** Characters of a body shown in lists and the live feed. */
const SUMMARY_BODY = 280;

const summaryBody = (body: string) => (body.length > SUMMARY_BODY ? `${body.slice(0, SUMMARY_BODY)}…` : body);

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** Positions are shown sealed (http/sealed-positions.ts): they count every project's rows. */
export function toSummary(m: MessageRecord, seals: ProjectSeals): ConsoleMessageSummary {
  return {
    id: m.id,
    cursor: seals.messages.seal(m.seq),
    direction: m.direction,
    origin: m.origin,
    from: m.from,
    to: m.to,
    body: summaryBody(m.body),
    media_count: m.media.length,
    kind: m.kind,
    status: m.status,
    error_code: m.errorCode,
    segments: m.segments,
    encoding: m.encoding,
    created_at: iso(m.createdAt),
    updated_at: iso(m.updatedAt),
    deleted: m.deletedAt !== null,
  };
}

export function toConsoleMessage(m: MessageRecord, seals: ProjectSeals): ConsoleMessage {
  return {
    ...toSummary(m, seals),
    body: m.body,
    media: [...m.media],
    error_message: m.errorMessage,
    reason: m.reason,
    status_callback: m.statusCallback,
    callback_format: m.callbackFormat,
    custom_variables: m.customVariables ? { ...m.customVariables } : null,
    context: m.context,
    tags: [...m.tags],
    number_group_id: m.numberGroupId,
    application_id: m.applicationId,
    price: m.price,
    price_unit: m.priceUnit,
    max_price: m.maxPrice,
    validity_period: m.validityPeriod,
    expires_at: iso(m.expiresAt),
    carrier: m.carrier,
    carrier_message_id: m.carrierMessageId,
    sent_at: isoOrNull(m.sentAt),
    redacted_at: isoOrNull(m.redactedAt),
    deleted_at: isoOrNull(m.deletedAt),
  };
}

export function toConsoleEvent(e: MessageEventRecord, seals: ProjectSeals): ConsoleMessageEvent {
  return { id: seals.events.seal(e.id), status: e.status, at: iso(e.at), error_code: e.errorCode, error_message: e.errorMessage, detail: e.detail ? { ...e.detail } : null };
}

/** Encoding, segments, the split, and which characters force UCS-2 (and what leaving them out would save). */
export function segmentsOf(body: string): ConsoleSegments {
  const a = analyzeBody(body);
  const nonGsm = nonGsmCharacters(body);
  let without: number | null = null;
  if (nonGsm.length) {
    let stripped = '';
    let from = 0;
    for (const c of nonGsm) {
      stripped += body.slice(from, c.index);
      from = c.index + c.char.length;
    }
    without = analyzeBody(stripped + body.slice(from)).segments;
  }
  return {
    encoding: a.encoding,
    units: a.units,
    segments: a.segments,
    per_segment: a.perSegment,
    remaining_in_last_segment: a.remainingInLastSegment,
    non_gsm: nonGsm.map((c) => ({ char: c.char, index: c.index, code_point: c.codePoint })),
    parts: body === '' ? [] : splitSegments(body).parts,
    segments_without_non_gsm: without,
  };
}

export function toConsoleAttempt(a: WebhookAttemptRecord): ConsoleWebhookAttempt {
  return { attempt: a.attempt, url: a.url, at: iso(a.at), duration_ms: a.durationMs, status_code: a.statusCode, error: a.error, signature: a.signature, response_excerpt: a.responseExcerpt };
}

export function toConsoleDelivery(d: WebhookDeliveryRecord, seals: ProjectSeals, attempts?: readonly WebhookAttemptRecord[]): ConsoleWebhookDelivery {
  return {
    id: seals.deliveries.seal(d.id),
    message_id: d.messageId,
    kind: d.kind,
    url: maskPassword(d.url),
    method: d.method,
    content_type: d.contentType,
    body: d.body,
    signature_scheme: d.signature,
    fallback_url: d.fallbackUrl === null ? null : maskPassword(d.fallbackUrl),
    status: d.status,
    attempts: d.attempts,
    max_attempts: d.maxAttempts,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
    ...(attempts ? { attempt_log: attempts.map(toConsoleAttempt) } : {}),
  };
}

export function toConsoleConversation(c: ConversationRecord, seals: ProjectSeals): ConsoleConversation {
  return { ours: c.ours, other: c.other, last: toSummary(c.last, seals) };
}

export function toConsoleHandset(h: HandsetMessageRecord, seals: ProjectSeals): ConsoleHandsetMessage {
  return { id: seals.handset.seal(h.seq), message_id: h.messageId, from: h.from, to: h.to, body: summaryBody(h.body), received_at: iso(h.receivedAt) };
}
