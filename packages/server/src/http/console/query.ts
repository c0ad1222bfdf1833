/**
 * Query parameters of the console API, checked the way the public APIs check theirs: every bad
 * value is a catalogue error naming the parameter (422 in the native shape), never a 500.
 */
import { isMessageStatus, type MessageOrigin, type MessageStatus } from '@switchboard/protocol';
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError, detail } from '../../domain/app-error.js';
import { dateErrorDetail, parseDate } from '../../domain/dates.js';
import { isValidSender, parsePhoneNumber } from '../../domain/phone-numbers.js';
import { clip, preview } from '../../domain/preview.js';
import { didYouMean } from '../../domain/closest-name.js';
import { booleanText, givenOnceMessage, unknownParamDetail } from '../query-params.js';
import type { MessageListFilter, WebhookRedriveFilter } from '../../domain/ports/store.js';

const ORIGINS: readonly MessageOrigin[] = ['rest', 'compat', 'relay', 'reply', 'console', 'inbound'];

type Query = Record<string, unknown>;

function text(q: Query, name: string, max: number, errors: ErrorDetail[]): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (Array.isArray(v)) {
    errors.push(detail('FILTER_INVALID', { attribute: name, message: givenOnceMessage(name) }));
    return undefined;
  }
  if (typeof v !== 'string' || v.length > max) {
    errors.push(detail('FILTER_INVALID', { attribute: name, message: `${name} must be text of at most ${max} characters.` }));
    return undefined;
  }
  return v;
}

/**
 * A number to filter by: any address a message can have (a sender ID such as "DHL Express" too), or,
 * for `ours` (`own`), one a project can register: E.164 or a short code.
 */
function phone(q: Query, name: string, errors: ErrorDetail[], own = false): string | undefined {
  const v = text(q, name, 32, errors);
  if (v !== undefined && (own ? !isValidSender(v) : !parsePhoneNumber(v))) {
    const what = own ? 'a phone number of the project (E.164, like +15551230001) or a short code' : 'a phone number (E.164, like +15551230001), a short code or a sender ID';
    errors.push(detail('FILTER_INVALID', { attribute: name, message: `${name} must be ${what}.` }));
    return undefined;
  }
  return v;
}

/** A day (`YYYY-MM-DD`, the whole UTC day) or an ISO-8601 date-time with a zone (domain/dates.ts). */
function time(q: Query, name: string, end: boolean, errors: ErrorDetail[]): number | undefined {
  const v = text(q, name, 40, errors);
  if (v === undefined) return undefined;
  const parsed = parseDate(v);
  if (!parsed.ok) {
    errors.push(dateErrorDetail(name, parsed.failure, v));
    return undefined;
  }
  return end ? parsed.span.end : parsed.span.start;
}

/** `true` or `false` (absent or empty: false), read as the native logs read `include_deleted`. */
function flag(q: Query, name: string, errors: ErrorDetail[]): boolean {
  const v = q[name];
  if (v === undefined || v === '') return false;
  const value = typeof v === 'string' ? booleanText(v) : undefined;
  if (value !== undefined) return value;
  errors.push(detail('FILTER_INVALID', { attribute: name, message: `${name} must be true or false (got ${typeof v === 'string' ? preview(v) : 'it more than once'}).` }));
  return false;
}

/** `include_deleted` of `GET /api/console/messages/{id}`: a bad value is refused, not read as false. */
export function includeDeletedQuery(q: Query): boolean {
  const errors: ErrorDetail[] = [];
  unknownNames(q, ['include_deleted'], errors);
  const includeDeleted = flag(q, 'include_deleted', errors);
  throwIfAny(errors);
  return includeDeleted;
}

/** A whole number in a range. */
export function wholeNumber(q: Query, name: string, min: number, max: number, fallback: number | undefined, errors: ErrorDetail[]): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return fallback;
  if (Array.isArray(v)) {
    errors.push(detail('FILTER_INVALID', { attribute: name, message: givenOnceMessage(name) }));
    return fallback;
  }
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v) || Number(v) < min || Number(v) > max) {
    errors.push(detail('FILTER_INVALID', { attribute: name, message: `${name} must be a whole number from ${min} to ${max}.` }));
    return fallback;
  }
  return Number(v);
}

function list<T extends string>(q: Query, name: string, allowed: (v: string) => v is T, what: string, errors: ErrorDetail[]): T[] | undefined {
  const v = text(q, name, 200, errors);
  if (v === undefined) return undefined;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !allowed(s));
  if (bad.length) {
    errors.push(detail('FILTER_INVALID', { attribute: name, message: `${name} must be a comma-separated list of ${what} (got ${preview(bad[0])}).` }));
    return undefined;
  }
  return items as T[];
}

/**
 * A parameter the list does not take, refused with the others as the public lists refuse it
 * (http/query-params.ts): ignoring a misspelt filter (`statuss=failed`, `status[]=failed`) would
 * answer the whole list as if it were the filtered one.
 */
function unknownNames(q: Query, known: readonly string[], errors: ErrorDetail[]): void {
  for (const name of Object.keys(q)) {
    if (known.includes(name)) continue;
    errors.push(unknownParamDetail(name, known, clip(name, 40)));
  }
}

/**
 * A list's position from the `next` of a previous page: sealed (http/sealed-positions.ts), never a
 * number, which would let a project probe where its rows stand among every project's.
 */
function cursor(q: Query, name: string, open: (sealed: string) => number | undefined, errors: ErrorDetail[]): number | undefined {
  const v = text(q, name, 40, errors);
  if (v === undefined) return undefined;
  const position = open(v);
  if (position === undefined) errors.push(detail('FILTER_INVALID', { attribute: name, message: `${name} must be the next cursor of a previous page of this list (got ${preview(v)}).` }));
  return position;
}

/** Opens the sealed positions of one list of the caller's project. */
export type OpenCursor = (sealed: string) => number | undefined;

const MESSAGE_PARAMS = ['number', 'from', 'to', 'ours', 'other', 'status', 'surface', 'direction', 'q', 'since', 'until', 'limit', 'before', 'include_deleted'] as const;
const CONVERSATION_PARAMS = ['ours', 'limit', 'before'] as const;
const OUTBOX_PARAMS = ['status', 'limit', 'before'] as const;

/**
 * The query of an endpoint that takes none (`GET /api/console/events`, `/session`,
 * `/connections`): a parameter is refused as the lists refuse one they do not take (a filter the
 * endpoint would silently ignore).
 */
export function noQuery(q: Query, what: string): void {
  throwIfAny(Object.keys(q).map((name) => detail('FILTER_INVALID', { attribute: name, message: `Unknown query parameter '${clip(name, 40)}'. ${what} takes no query parameters.` })));
}

/** Throw the collected problems, all of them at once. */
export function throwIfAny(errors: ErrorDetail[]): void {
  if (errors.length) throw new AppError(errors);
}

/** The message list filter and page of `GET /api/console/messages`. */
export function messageQuery(q: Query, open: OpenCursor): { filter: MessageListFilter; limit: number; beforeSeq: number | undefined } {
  const errors: ErrorDetail[] = [];
  unknownNames(q, MESSAGE_PARAMS, errors);
  const party = phone(q, 'number', errors);
  const from = phone(q, 'from', errors);
  const to = phone(q, 'to', errors);
  const ours = phone(q, 'ours', errors, true);
  const other = phone(q, 'other', errors);
  if ((ours === undefined) !== (other === undefined) && !errors.length) {
    errors.push(detail('FILTER_INVALID', { attribute: ours === undefined ? 'ours' : 'other', message: 'ours and other select a conversation together: give both.' }));
  }
  const statuses = list(q, 'status', (s): s is MessageStatus => isMessageStatus(s), 'statuses (queued, initiated, sent, delivered, undelivered, failed, received)', errors);
  const origins = list(q, 'surface', (s): s is MessageOrigin => (ORIGINS as readonly string[]).includes(s), `surfaces (${ORIGINS.join(', ')})`, errors);
  const direction = q.direction;
  if (direction !== undefined && direction !== '' && direction !== 'inbound' && direction !== 'outbound') {
    errors.push(detail('FILTER_INVALID', { attribute: 'direction', message: 'direction must be inbound or outbound.' }));
  }
  const bodyContains = text(q, 'q', 200, errors);
  const createdFrom = time(q, 'since', false, errors);
  const createdTo = time(q, 'until', true, errors);
  const limit = wholeNumber(q, 'limit', 1, 200, 50, errors)!;
  const beforeSeq = cursor(q, 'before', open, errors);
  const includeDeleted = flag(q, 'include_deleted', errors);
  throwIfAny(errors);
  const filter: MessageListFilter = {
    includeDeleted,
    ...(party !== undefined ? { party } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(ours !== undefined && other !== undefined ? { conversation: { ours, other } } : {}),
    ...(statuses?.length ? { statuses } : {}),
    ...(origins?.length ? { origins } : {}),
    ...(direction === 'inbound' || direction === 'outbound' ? { direction } : {}),
    ...(bodyContains !== undefined ? { bodyContains } : {}),
    ...(createdFrom !== undefined ? { createdFrom } : {}),
    ...(createdTo !== undefined ? { createdTo } : {}),
  };
  return { filter, limit, beforeSeq };
}

/** `GET /api/console/conversations`. */
export function conversationQuery(q: Query, open: OpenCursor): { ours: string | undefined; limit: number; beforeSeq: number | undefined } {
  const errors: ErrorDetail[] = [];
  unknownNames(q, CONVERSATION_PARAMS, errors);
  const ours = phone(q, 'ours', errors, true);
  const limit = wholeNumber(q, 'limit', 1, 200, 50, errors)!;
  const beforeSeq = cursor(q, 'before', open, errors);
  throwIfAny(errors);
  return { ours, limit, beforeSeq };
}

/** `GET /api/console/outbox`. */
export function outboxQuery(q: Query, open: OpenCursor): { status: 'pending' | 'delivered' | 'failed' | undefined; limit: number; beforeId: number | undefined } {
  const errors: ErrorDetail[] = [];
  unknownNames(q, OUTBOX_PARAMS, errors);
  const status = q.status;
  if (status !== undefined && status !== '' && status !== 'pending' && status !== 'delivered' && status !== 'failed') {
    errors.push(detail('FILTER_INVALID', { attribute: 'status', message: 'status must be pending, delivered or failed.' }));
  }
  const limit = wholeNumber(q, 'limit', 1, 200, 50, errors)!;
  const beforeId = cursor(q, 'before', open, errors);
  throwIfAny(errors);
  return { status: status === 'pending' || status === 'delivered' || status === 'failed' ? status : undefined, limit, beforeId };
}

/**
 * The body of `POST /api/console/outbox/redrive`: the failed deliveries to queue again, by `url`
 * (exact) or `url_prefix`, and by creation time (`since`, `until`: days or date-times, inclusive).
 */
export function redriveQuery(q: Query): WebhookRedriveFilter {
  const errors: ErrorDetail[] = [];
  // A misspelt field must not widen the redrive to every failed delivery.
  const known = ['url', 'url_prefix', 'since', 'until'];
  for (const name of Object.keys(q)) {
    if (!known.includes(name)) errors.push(detail('FILTER_INVALID', { attribute: name, message: `Unknown field '${clip(name, 40)}'${didYouMean(name, known, "'")}: a redrive takes ${known.join(', ')}.` }));
  }
  const url = text(q, 'url', 2000, errors);
  const urlPrefix = text(q, 'url_prefix', 2000, errors);
  if (url !== undefined && urlPrefix !== undefined) errors.push(detail('FILTER_INVALID', { attribute: 'url_prefix', message: 'Give url (the exact URL) or url_prefix, not both.' }));
  const since = time(q, 'since', false, errors);
  const until = time(q, 'until', true, errors);
  throwIfAny(errors);
  return {
    ...(url !== undefined ? { url } : {}),
    ...(urlPrefix !== undefined ? { urlPrefix } : {}),
    ...(since !== undefined ? { createdFrom: since } : {}),
    ...(until !== undefined ? { createdBefore: until + 1 } : {}),
  };
}
