/** Display helpers. Times are shown in the browser's own time zone and language. */
import type { ConsoleMessageSummary } from '@switchboard/protocol';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const preciseFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });
const fullFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

let todayKey = '';
let todayUntil = 0;

/** Time of day for today, date and time otherwise (live lists format hundreds of these a second). */
export function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const now = Date.now();
  if (now >= todayUntil) {
    const t = new Date(now);
    todayKey = t.toDateString();
    todayUntil = new Date(t.getFullYear(), t.getMonth(), t.getDate() + 1).getTime();
  }
  return d.toDateString() === todayKey ? timeFmt.format(d) : `${dateFmt.format(d)} ${timeFmt.format(d)}`;
}

/** Full timestamp with milliseconds, for timelines. */
export function precise(iso: string | null): string {
  if (!iso) return '—';
  return preciseFmt.format(new Date(iso));
}

/** Date, time and zone in words, for a title: "Thu, Dec 3, 2026, 02:35:10 PM UTC". */
export function absolute(iso: string): string {
  return fullFmt.format(new Date(iso));
}

/**
 * How long ago (or from now) `iso` is, relative to `now`: "just now", "42 sec. ago", "5 min. ago",
 * "in 30 sec."; beyond a day the local date and time, where a count of days reads worse.
 */
export function relative(iso: string, now: number): string {
  const ms = new Date(iso).getTime() - now;
  const s = Math.round(ms / 1000);
  const abs = Math.abs(s);
  if (abs < 5) return 'just now';
  if (abs < 60) return relFmt.format(s, 'second');
  if (abs < 3600) return relFmt.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return relFmt.format(Math.round(s / 3600), 'hour');
  return when(iso);
}

/** Our side and the other party of a message. */
export function sides(m: Pick<ConsoleMessageSummary, 'direction' | 'from' | 'to'>): { ours: string; other: string } {
  return m.direction === 'inbound' ? { ours: m.to, other: m.from } : { ours: m.from, other: m.to };
}

export const SURFACES: Record<string, string> = { rest: 'REST', compat: 'Compatibility', relay: 'RELAY', reply: 'cXML reply', console: 'Console', inbound: 'Inbound' };

export function codePoint(n: number): string {
  return `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

const KINDS: Record<string, string> = { status_callback: 'Status callback', inbound_message: 'Inbound message webhook', message_action: 'cXML request' };

/**
 * What a webhook delivery is, in words: its kind, and for a status callback the status it reports
 * (from its JSON `status`, or the form's `MessageStatus`/`SmsStatus`).
 */
export function webhookLabel(w: { kind: string; body: string; content_type: string | null }): { kind: string; reports: string | null } {
  const kind = KINDS[w.kind] ?? w.kind;
  if (w.kind !== 'status_callback') return { kind, reports: null };
  try {
    if (w.content_type?.includes('json')) {
      const parsed = JSON.parse(w.body) as { status?: unknown };
      return { kind, reports: typeof parsed.status === 'string' ? parsed.status : null };
    }
    const form = new URLSearchParams(w.body);
    return { kind, reports: form.get('MessageStatus') ?? form.get('SmsStatus') };
  } catch {
    return { kind, reports: null };
  }
}
