/**
 * Conversions between table rows and domain records. JSON columns get fast paths for the common
 * empty values so the hot path does not parse `[]` thousands of times a second.
 */
import type { Encoding, MessageDirection, MessageHandler, MessageKind, MessageOrigin, MessageStatus, NumberCapability } from '@switchboard/protocol';
import type { Selectable } from 'kysely';
import type { TokenScope } from '../domain/credentials.js';
import type { JobKind, JobRecord, NewJob } from '../domain/jobs.js';
import type { CallbackFormat, MessageEventRecord, MessageRecord, MessageState, NewMessage, NewMessageEvent } from '../domain/message.js';
import type { NumberType } from '../domain/phone-numbers.js';
import type { HandsetMessageRecord } from '../domain/ports/store.js';
import type { ApiTokenRecord, PhoneNumberRecord, ProjectRecord, WebhookMethod } from '../domain/project.js';
import type { SignatureScheme, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus, WebhookKind } from '../domain/webhooks.js';
import type {
  ApiTokensTable,
  HandsetMessagesTable,
  JobsTable,
  MessageEventsTable,
  MessagesTable,
  PhoneNumbersTable,
  ProjectsTable,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
} from './schema.js';

const EMPTY: readonly string[] = Object.freeze([]);

/** Parse a JSON string array column. */
export function stringArray(text: string): readonly string[] {
  return text === '[]' || text === '' ? EMPTY : (JSON.parse(text) as string[]);
}

/** Serialise a string array column. */
export function stringArrayText(values: readonly string[]): string {
  return values.length === 0 ? '[]' : JSON.stringify(values);
}

/** PostgreSQL returns BIGINT as strings; both engines give numbers after this. */
export function num(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A record as a port returns it from single-row reads (the list cursor `seq` stays internal). */
export function withoutSeq<T extends { seq: number }>(r: T): Omit<T, 'seq'> {
  const { seq: _seq, ...rest } = r;
  return rest;
}

function numOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : num(value);
}

export function projectFromRow(row: Selectable<ProjectsTable>): ProjectRecord {
  return { id: row.id, name: row.name, signingKey: row.signing_key, createdAt: num(row.created_at) };
}

export function tokenFromRow(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    tokenHash: Buffer.isBuffer(row.token_hash) ? row.token_hash : Buffer.from(row.token_hash as Uint8Array),
    tokenPrefix: row.token_prefix,
    scopes: JSON.parse(row.scopes) as TokenScope[],
    createdAt: num(row.created_at),
    revokedAt: numOrNull(row.revoked_at),
    test: Number(row.test) === 1,
  };
}

export function numberFromRow(row: Selectable<PhoneNumbersTable>): PhoneNumberRecord & { seq: number } {
  return {
    seq: num(row.seq),
    id: row.id,
    projectId: row.project_id,
    number: row.number,
    name: row.name,
    numberType: row.number_type as NumberType,
    countryCode: row.country_code,
    capabilities: JSON.parse(row.capabilities) as NumberCapability[],
    messageHandler: row.message_handler as MessageHandler | null,
    messageRequestUrl: row.message_request_url,
    messageRequestMethod: row.message_request_method as WebhookMethod,
    messageFallbackUrl: row.message_fallback_url,
    messageFallbackMethod: row.message_fallback_method as WebhookMethod,
    messageLamlApplicationId: row.message_laml_application_id,
    messageRelayTopic: row.message_relay_topic,
    messageRelayContext: row.message_relay_context,
    messagingHandlerResourceId: row.messaging_handler_resource_id,
    messagesPerSecond: row.messages_per_second === null || row.messages_per_second === undefined ? null : Number(row.messages_per_second),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function numberToRow(n: PhoneNumberRecord): Omit<PhoneNumbersTable, 'seq'> {
  return {
    id: n.id,
    project_id: n.projectId,
    number: n.number,
    name: n.name,
    number_type: n.numberType,
    country_code: n.countryCode,
    capabilities: JSON.stringify(n.capabilities),
    message_handler: n.messageHandler,
    message_request_url: n.messageRequestUrl,
    message_request_method: n.messageRequestMethod,
    message_fallback_url: n.messageFallbackUrl,
    message_fallback_method: n.messageFallbackMethod,
    message_laml_application_id: n.messageLamlApplicationId,
    message_relay_topic: n.messageRelayTopic,
    message_relay_context: n.messageRelayContext,
    messaging_handler_resource_id: n.messagingHandlerResourceId,
    messages_per_second: n.messagesPerSecond ?? null,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
  };
}

export function messageFromRow(row: Selectable<MessagesTable>): MessageRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    seq: num(row.seq),
    direction: row.direction as MessageDirection,
    origin: row.origin as MessageOrigin,
    from: row.from_number,
    to: row.to_number,
    body: row.body,
    media: stringArray(row.media),
    kind: row.kind as MessageKind,
    encoding: row.encoding as Encoding,
    segments: row.segments,
    status: row.status as MessageStatus,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    reason: row.reason,
    statusCallback: row.status_callback,
    callbackFormat: row.callback_format as CallbackFormat | null,
    customVariables: row.custom_variables === null ? null : (JSON.parse(row.custom_variables) as Record<string, string>),
    context: row.context,
    tags: stringArray(row.tags),
    numberGroupId: row.number_group_id,
    applicationId: row.application_id,
    price: row.price,
    priceUnit: row.price_unit,
    maxPrice: row.max_price,
    validityPeriod: row.validity_period,
    expiresAt: num(row.expires_at),
    carrier: row.carrier,
    carrierMessageId: row.carrier_message_id,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    sentAt: numOrNull(row.sent_at),
    redactedAt: numOrNull(row.redacted_at),
    deletedAt: numOrNull(row.deleted_at),
    cxmlSession: row.cxml_session,
    relaySender: row.relay_sender,
  };
}

/** Columns of `MessageState`, for narrow reads and RETURNING clauses. */
export const MESSAGE_STATE_COLUMNS = [
  'id',
  'project_id',
  'status',
  'error_code',
  'error_message',
  'reason',
  'carrier',
  'carrier_message_id',
  'price',
  'updated_at',
  'sent_at',
  'redacted_at',
  'deleted_at',
] as const;

export function messageStateFromRow(row: Pick<Selectable<MessagesTable>, (typeof MESSAGE_STATE_COLUMNS)[number]>): MessageState {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status as MessageStatus,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    reason: row.reason,
    carrier: row.carrier,
    carrierMessageId: row.carrier_message_id,
    price: row.price,
    updatedAt: num(row.updated_at),
    sentAt: numOrNull(row.sent_at),
    redactedAt: numOrNull(row.redacted_at),
    deletedAt: numOrNull(row.deleted_at),
  };
}

export function messageToRow(m: NewMessage): Omit<MessagesTable, 'seq'> {
  return {
    id: m.id,
    project_id: m.projectId,
    direction: m.direction,
    origin: m.origin,
    from_number: m.from,
    to_number: m.to,
    body: m.body,
    media: stringArrayText(m.media),
    kind: m.kind,
    encoding: m.encoding,
    segments: m.segments,
    status: m.status,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    reason: m.reason,
    status_callback: m.statusCallback,
    callback_format: m.callbackFormat,
    custom_variables: m.customVariables === null ? null : JSON.stringify(m.customVariables),
    context: m.context,
    tags: stringArrayText(m.tags),
    number_group_id: m.numberGroupId,
    application_id: m.applicationId,
    price: m.price,
    price_unit: m.priceUnit,
    max_price: m.maxPrice,
    validity_period: m.validityPeriod,
    expires_at: m.expiresAt,
    carrier: m.carrier,
    carrier_message_id: m.carrierMessageId,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    sent_at: m.sentAt,
    redacted_at: m.redactedAt,
    deleted_at: m.deletedAt,
    cxml_session: m.cxmlSession,
    relay_sender: m.relaySender,
  };
}

export function eventToRow(e: NewMessageEvent): Omit<MessageEventsTable, 'id'> {
  return {
    message_id: e.messageId,
    project_id: e.projectId,
    status: e.status,
    at: e.at,
    error_code: e.errorCode,
    error_message: e.errorMessage,
    detail: e.detail === null ? null : JSON.stringify(e.detail),
  };
}

export function jobToRow(j: NewJob): Omit<JobsTable, 'id' | 'slot_at'> {
  return { kind: j.kind, project_id: j.projectId, message_id: j.messageId, run_at: j.runAt, attempts: 0, lease_owner: null, created_at: j.runAt, carrier: j.carrier ?? null };
}

/** A job inserted already leased to the node that will send it (its claim made at once). */
export function leasedJobToRow(j: NewJob & { readonly leaseOwner: string; readonly leaseUntil: number }): Omit<JobsTable, 'id' | 'slot_at'> {
  return { kind: j.kind, project_id: j.projectId, message_id: j.messageId, run_at: j.leaseUntil, attempts: 1, lease_owner: j.leaseOwner, created_at: j.runAt, carrier: j.carrier ?? null };
}

export function handsetToRow(r: Omit<HandsetMessageRecord, 'seq'>): Omit<HandsetMessagesTable, 'seq'> {
  return {
    project_id: r.projectId,
    message_id: r.messageId,
    from_number: r.from,
    to_number: r.to,
    body: r.body,
    media: stringArrayText(r.media),
    segments: r.segments,
    received_at: r.receivedAt,
  };
}

export function eventFromRow(row: Selectable<MessageEventsTable>): MessageEventRecord {
  return {
    id: num(row.id),
    messageId: row.message_id,
    projectId: row.project_id,
    status: row.status as MessageStatus,
    at: num(row.at),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  };
}

export function jobFromRow(row: Selectable<JobsTable>): JobRecord {
  return {
    id: num(row.id),
    kind: row.kind as JobKind,
    projectId: row.project_id,
    messageId: row.message_id,
    runAt: num(row.run_at),
    attempts: row.attempts,
    leaseOwner: row.lease_owner,
    createdAt: num(row.created_at),
    carrier: row.carrier,
    slotAt: row.slot_at === null || row.slot_at === undefined ? null : num(row.slot_at),
  };
}

export function deliveryFromRow(row: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  return {
    id: num(row.id),
    projectId: row.project_id,
    messageId: row.message_id,
    kind: row.kind as WebhookKind,
    url: row.url,
    method: row.method as 'GET' | 'POST',
    contentType: row.content_type,
    body: row.body,
    signature: row.signature as SignatureScheme,
    fallbackUrl: row.fallback_url,
    fallbackMethod: row.fallback_method as 'GET' | 'POST' | null,
    status: row.status as WebhookDeliveryStatus,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: num(row.next_attempt_at),
    destination: row.destination,
    retryFrom: num(row.retry_from),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    leaseOwner: row.lease_owner,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function attemptFromRow(row: Selectable<WebhookAttemptsTable>): WebhookAttemptRecord {
  return {
    id: num(row.id),
    deliveryId: num(row.delivery_id),
    projectId: row.project_id,
    attempt: row.attempt,
    url: row.url,
    at: num(row.at),
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
    signature: row.signature,
    responseExcerpt: row.response_excerpt,
  };
}

export function handsetFromRow(row: Selectable<HandsetMessagesTable>): HandsetMessageRecord {
  return {
    seq: num(row.seq),
    projectId: row.project_id,
    messageId: row.message_id,
    from: row.from_number,
    to: row.to_number,
    body: row.body,
    media: stringArray(row.media),
    segments: row.segments,
    receivedAt: num(row.received_at),
  };
}

/** Split rows so each statement stays under the engine's parameter limit. */
export function chunkRows<T>(rows: readonly T[], columnsPerRow: number, maxParameters: number): T[][] {
  const size = Math.max(1, Math.floor(maxParameters / Math.max(1, columnsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
