/**
 * The one reader of dates that callers type into API filters (native logs, Compatibility API
 * `DateSent`/`DateCreated`, console). Strict, so a typo never silently means another day:
 * - `YYYY-MM-DD`: that calendar day in UTC;
 * - `YYYY-MM-DDThh:mm[:ss[.fraction]]` followed by `Z` or `±hh:mm`: that instant. A space may
 *   stand for the `T` (RFC 3339 §5.6 allows it, and SignalWire's Python SDK sends Python's
 *   `str(datetime)`, `2024-05-06 12:20:00.123456+00:00`, for a date-time filter).
 * Impossible dates and times (February 30th, month 13, hour 24) and date-times without a zone
 * (whose meaning would depend on the server's time zone) are refused.
 */
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError, detail } from './app-error.js';

export const DAY_MS = 86_400_000;

/** What a date filter covers, in ms since the epoch, both ends inclusive. */
export interface DateSpan {
  /** `day`: a whole UTC day; `instant`: one moment (`start === end`). */
  readonly kind: 'day' | 'instant';
  readonly start: number;
  readonly end: number;
}

/** Why a value is not a date: not the format at all, not a real date or time, or a date-time without a zone. */
export type DateFailure = 'malformed' | 'impossible' | 'zone-missing';

export type DateParse = { readonly ok: true; readonly span: DateSpan } | { readonly ok: false; readonly failure: DateFailure };

const FORMAT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2}))?)?$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!;
}

/** Parse a date filter value (see the module comment). Anything but a string is malformed. */
export function parseDate(raw: unknown): DateParse {
  const m = typeof raw === 'string' ? FORMAT.exec(raw) : null;
  if (!m) return { ok: false, failure: 'malformed' };
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return { ok: false, failure: 'impossible' };
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  const midnight = new Date(0).setUTCFullYear(year, month - 1, day);
  if (m[4] === undefined) return { ok: true, span: { kind: 'day', start: midnight, end: midnight + DAY_MS - 1 } };

  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  const [offsetHours, offsetMinutes] = [Number(m[10] ?? 0), Number(m[11] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return { ok: false, failure: 'impossible' };
  if (m[8] === undefined) return { ok: false, failure: 'zone-missing' };
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const at = midnight + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset;
  return { ok: true, span: { kind: 'instant', start: at, end: at } };
}

/** The catalogue error (`datetime_required`) for a value of `attribute` that failed to parse, saying why. */
export function dateErrorDetail(attribute: string, failure: DateFailure, raw: unknown): ErrorDetail {
  const shown = typeof raw === 'string' ? ` (got ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)})` : '';
  const why =
    failure === 'impossible'
      ? `${attribute} is not a real date or time${shown}.`
      : failure === 'zone-missing'
        ? `${attribute} is a date-time without a zone${shown}: end it with Z (UTC) or an offset such as +02:00.`
        : `${attribute} must be a date (YYYY-MM-DD) or an ISO-8601 date-time with a zone, such as 2024-05-06T12:00:00Z${shown}.`;
  return detail('DATETIME_REQUIRED', { attribute, message: why });
}

/**
 * An optional date filter of a REST surface: undefined when absent or empty, else the span it
 * covers; a bad value throws `datetime_required` naming the parameter, in the caller's shape.
 */
export function parseDateFilter(raw: unknown, attribute: string): DateSpan | undefined {
  if (raw === undefined || raw === '') return undefined;
  // A filter given twice (`DateSent=a&DateSent=b`) arrives as a list: which was meant cannot be told.
  if (Array.isArray(raw)) throw AppError.of('DATETIME_REQUIRED', { attribute, message: `${attribute} must be given once.` });
  const parsed = parseDate(raw);
  if (!parsed.ok) throw new AppError(dateErrorDetail(attribute, parsed.failure, raw));
  return parsed.span;
}
