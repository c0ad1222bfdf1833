/**
 * Scheduled sends: when a message asks to be sent later, and whether that time is allowed.
 * Twilio accepts `SendAt` from 300 seconds to 35 days ahead (error 35114/35115); the window is
 * configurable (`scheduling.*`), so tests and development need not wait five minutes.
 */
import type { ErrorDetail } from '@switchboard/protocol';
import { detail } from './app-error.js';
import { parseDate } from './dates.js';
import { preview } from './preview.js';

/** How far ahead a send may be scheduled, in ms. */
export interface ScheduleWindow {
  readonly minLeadMs: number;
  readonly maxLeadMs: number;
}

/** Twilio's window: more than 5 minutes and at most 35 days ahead. */
export const DEFAULT_SCHEDULE_WINDOW: ScheduleWindow = { minLeadMs: 300_000, maxLeadMs: 35 * 86_400_000 };

/** An ISO-8601 date-time with a zone (`Z` or an offset), as Twilio's SendAt and our `send_at`. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Check a requested send time against `now`: undefined/null/'' means "send now". Returns the time
 * in ms, or the error to report. A time without a zone is refused rather than guessed, and so is an
 * impossible one (February 30th, hour 24), which Date.parse would roll over into another day.
 */
export function checkSendAt(raw: unknown, now: number, window: ScheduleWindow, field: 'SendAt' | 'send_at' = 'SendAt'): { errors: ErrorDetail[]; at?: number } {
  if (raw === undefined || raw === null || raw === '') return { errors: [] };
  // The one date reader (dates.ts) wants upper case and an offset with a colon.
  const parsed = typeof raw === 'string' && ISO_DATE_TIME.test(raw) ? parseDate(raw.toUpperCase().replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : undefined;
  if (!parsed?.ok) {
    const message = parsed?.failure === 'impossible' ? `${field} ${preview(raw)} is not a real date and time.` : `${field} ${preview(raw)} must be an ISO-8601 date-time with a time zone, such as 2030-01-31T09:00:00Z.`;
    return { errors: [detail('SEND_AT_INVALID', { message })] };
  }
  const at = parsed.span.start;
  const lead = at - now;
  if (lead < window.minLeadMs || lead > window.maxLeadMs) {
    return {
      errors: [
        detail('SEND_AT_INVALID', {
          // The server's time is named: on a manual simulator clock (or a skewed host) it is not the caller's.
          message: `${field} ${raw} must be from ${Math.round(window.minLeadMs / 1000)} seconds to ${Math.round(window.maxLeadMs / 86_400_000)} days ahead of the request (it is ${secondsOf(lead)} seconds ahead of the server's time, ${new Date(now).toISOString()}).`,
        }),
      ],
    };
  }
  // Only a window that starts at 0 lets the time be now: that is a send now, not a scheduled message
  // (whose send time, kept as its validity's start, must come after its creation: sendAtOf).
  return lead === 0 ? { errors: [] } : { errors: [], at };
}

/** The send time's parameter as the request's surface names it (the Compatibility API's `SendAt`, the native `send_at`). */
export function sendAtField(origin: string): 'SendAt' | 'send_at' {
  return origin === 'compat' ? 'SendAt' : 'send_at';
}

/** Whole seconds as such, else to the millisecond: 299.999 s rounded to "300" read as inside a window starting at 300. */
function secondsOf(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3);
}

/**
 * The time a scheduled message was (or is to be) sent, or null when it was sent on acceptance. A
 * message's validity runs from its send time, so no column of its own is needed.
 */
export function sendAtOf(m: { readonly direction: string; readonly createdAt: number; readonly expiresAt: number; readonly validityPeriod: number }): number | null {
  if (m.direction !== 'outbound') return null;
  const at = m.expiresAt - m.validityPeriod * 1000;
  return at > m.createdAt ? at : null;
}
