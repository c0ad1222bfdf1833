/** Reading Compatibility API parameters (form strings or JSON values) into surface-neutral input. */
import { AppError } from '../../domain/app-error.js';
import { DAY_MS, parseDateFilter } from '../../domain/dates.js';
import { preview } from '../../domain/preview.js';
import type { MessageListFilter } from '../../domain/ports/store.js';
import { addressParam, singleParam } from '../query-params.js';
import { COMPAT_API_VERSION, fromCompatStatus, type ErrorKey, type MessageStatus } from '@switchboard/protocol';
import { repeatedFormKeys } from './body.js';

/** A path sid without the optional `.json` suffix. */
export function sidOf(raw: string): string {
  return raw.endsWith('.json') ? raw.slice(0, -5) : raw;
}

/** The body as a parameter map (an absent body has no parameters). */
export function paramsOf(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/**
 * `ApiVersion` of an application, number or short code (the version of the webhooks it is sent):
 * absent or 2010-04-01, the only one answered here (Twilio's other, 2008-08-01, is retired: its
 * 22500). Another value is refused rather than taken and ignored.
 */
export function checkApiVersion(p: Record<string, unknown>): void {
  if (p.ApiVersion !== undefined && p.ApiVersion !== COMPAT_API_VERSION) {
    throw AppError.of('INVALID_PARAMETER', { attribute: 'ApiVersion', message: `ApiVersion must be ${COMPAT_API_VERSION} (got ${preview(p.ApiVersion)}).` });
  }
}

/**
 * An error about a parameter a form gave more than once (`Body=a&Body=b`), told so with the
 * parameter's own code; otherwise its message would say the value is not text, or show the values
 * as a list. `paramOf` names the parameter each error key of the route is about.
 */
export function givenOnce(err: unknown, body: unknown, paramOf: Partial<Record<ErrorKey, string>>): unknown {
  if (!(err instanceof AppError)) return err;
  const name = paramOf[err.key];
  if (name === undefined || !repeatedFormKeys(body).has(name)) return err;
  return AppError.of(err.key, { attribute: err.details[0]!.attribute, message: givenTwice(name) });
}

const givenTwice = (name: string) => `The '${name}' parameter was given more than once; give it once.`;

/**
 * Refuse, before any of it is used, a parameter a form gave more than once to a create or update
 * other than a message's (numbers, short codes, applications, the account, feedback): with the
 * code of an invalid value of it, and a message saying so, as `givenOnce` does for Messages, rather
 * than one saying that the values are not text or not a URL. `codes` names the route's parameters;
 * others repeated are ignored, as unknown parameters are.
 */
export function refuseRepeated(body: unknown, codes: Readonly<Record<string, ErrorKey>>): void {
  for (const name of repeatedFormKeys(body)) {
    const key = codes[name];
    if (key !== undefined) throw AppError.of(key, { attribute: name, message: givenTwice(name) });
  }
}

/** `MediaUrl` given once, repeated, or as a JSON list; an empty value means none. */
export function mediaParam(raw: unknown): unknown {
  if (raw === undefined || raw === null || raw === '') return undefined;
  return typeof raw === 'string' ? [raw] : raw;
}

/** `SendAsMms` arrives as `true`/`false` strings in forms and as booleans in JSON. */
export function boolParam(raw: unknown): unknown {
  if (raw === 'true' || raw === 'True') return true;
  if (raw === 'false' || raw === 'False') return false;
  return raw === '' ? undefined : raw;
}

/** An optional text parameter; `''` counts as absent. Anything else that is not text is passed on to fail validation. */
export function textParam(raw: unknown): unknown {
  return raw === '' ? undefined : raw;
}

/**
 * Bounds from `X`, `X<` and `X>` filters (inclusive, as Twilio documents "on or before/after"; a
 * date-time without a fraction covers its whole second).
 * `X` with a date-time means that instant's whole UTC day, as the SDKs send `Date`s as date-times.
 */
export function dateBounds(query: Record<string, unknown>, name: string): { from?: number; to?: number } {
  const on = parseDateFilter(query[name], name);
  const before = parseDateFilter(query[`${name}<`], `${name}<`);
  const after = parseDateFilter(query[`${name}>`], `${name}>`);
  let from = -Infinity;
  let to = Infinity;
  if (on) {
    const dayStart = Math.floor(on.start / DAY_MS) * DAY_MS;
    from = dayStart;
    to = dayStart + DAY_MS - 1;
  }
  // Dates are shown to the second (`date_sent`, and what the SDKs send for a `Date`), but stored to
  // the millisecond: "on or before 12:00:00" includes 12:00:00.500, so a record's own shown date
  // matches it (Twilio stores seconds). A bound with a fraction is taken as written.
  const beforeRaw = query[`${name}<`];
  if (before) to = Math.min(to, before.kind === 'instant' && typeof beforeRaw === 'string' && !beforeRaw.includes('.') ? before.end + 999 : before.end);
  if (after) from = Math.max(from, after.start);
  return { ...(from !== -Infinity ? { from } : {}), ...(to !== Infinity ? { to } : {}) };
}

/**
 * Statuses of Twilio's Message resource no message here ever has (`accepted` and
 * `partially_delivered` belong to Messaging Services and group MMS, `read` to WhatsApp): a list
 * filtered by one is empty, not refused, as on Twilio.
 */
const NEVER_HELD = new Set(['accepted', 'partially_delivered', 'read']);

/** Whether the `Status` filter of `GET /Messages` names a Twilio status no message here has. */
export function filtersNothing(query: Record<string, unknown>): boolean {
  const status = singleParam(query, 'Status');
  return status !== undefined && NEVER_HELD.has(status);
}

/** The message list filters of `GET /Messages`. */
export function messageListFilter(query: Record<string, unknown>): MessageListFilter {
  const one = (name: string) => singleParam(query, name);
  // Exact matches, read as the native logs read `to` and `from`: one that is no address a message
  // can have (`From=+1555…`, its "+" read as a space) is a 400 saying to write %2B, not an empty list.
  const to = addressParam(query, 'To');
  const from = addressParam(query, 'From');
  const status = one('Status');
  let statuses: MessageStatus[] | undefined;
  if (status !== undefined) {
    const s = fromCompatStatus(status);
    if (!s) throw AppError.of('FILTER_INVALID', { attribute: 'Status', message: `Status ${preview(status)} is not a message status (scheduled, queued, sending, sent, delivered, undelivered, failed, received, canceled).` });
    statuses = [s];
  }
  const sent = dateBounds(query, 'DateSent');
  return {
    ...(to !== undefined ? { to } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(statuses ? { statuses } : {}),
    ...(sent.from !== undefined ? { sentFrom: sent.from } : {}),
    ...(sent.to !== undefined ? { sentTo: sent.to } : {}),
  };
}

/**
 * `ScheduleType` and `SendAt`: the send time to check, or undefined to send now. Twilio requires
 * both together (35111 without SendAt; 35126 for another type); SendAt alone is refused too, rather
 * than sending at once a message meant for later. The time itself is checked by the engine.
 */
export function scheduleParams(p: Record<string, unknown>): unknown {
  const type = textParam(p.ScheduleType);
  const sendAt = textParam(p.SendAt);
  if (type !== undefined && type !== 'fixed') throw AppError.of('SCHEDULE_TYPE_INVALID', { message: `ScheduleType ${preview(type)} is not supported: the only schedule type is 'fixed'.` });
  if (type === 'fixed' && sendAt === undefined) throw AppError.of('SEND_AT_REQUIRED');
  if (sendAt !== undefined && type === undefined) throw AppError.of('SCHEDULE_TYPE_INVALID', { message: "SendAt needs ScheduleType=fixed." });
  return sendAt;
}
