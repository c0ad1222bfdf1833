/** Display helpers. */
import type { ConsoleMessageSummary } from '@switchboard/protocol';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

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
  const d = new Date(iso);
  return `${dateFmt.format(d)} ${timeFmt.format(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** Our side and the other party of a message. */
export function sides(m: Pick<ConsoleMessageSummary, 'direction' | 'from' | 'to'>): { ours: string; other: string } {
  return m.direction === 'inbound' ? { ours: m.to, other: m.from } : { ours: m.from, other: m.to };
}

export const SURFACES: Record<string, string> = { rest: 'REST', compat: 'Compatibility', relay: 'RELAY', reply: 'cXML reply', console: 'Console', inbound: 'Inbound' };

export function codePoint(n: number): string {
  return `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
}
