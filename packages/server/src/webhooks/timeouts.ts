/**
 * Webhook timeouts: defaults of 2 s to connect, 5 s to read and 15 s in total, overridable per URL
 * with the fragment `#ot=…&rt=…&tt=…` (milliseconds) as SignalWire documents. The fragment is never
 * sent over the wire.
 */
export interface WebhookTimeouts {
  readonly connectMs: number;
  readonly readMs: number;
  readonly totalMs: number;
}

export const DEFAULT_TIMEOUTS: WebhookTimeouts = { connectMs: 2000, readMs: 5000, totalMs: 15000 };

function clamp(value: string | null, min: number, max: number, fallback: number): number {
  if (value === null || !/^\d+$/.test(value)) return fallback;
  return Math.min(max, Math.max(min, Number(value)));
}

/** Split a configured URL into the URL to request and its timeouts. */
export function timeoutsFromUrl(url: string, defaults: WebhookTimeouts = DEFAULT_TIMEOUTS): { url: string; timeouts: WebhookTimeouts } {
  const hash = url.indexOf('#');
  if (hash < 0) return { url, timeouts: defaults };
  const params = new URLSearchParams(url.slice(hash + 1));
  return {
    url: url.slice(0, hash),
    timeouts: {
      connectMs: clamp(params.get('ot'), 100, 10_000, defaults.connectMs),
      readMs: clamp(params.get('rt'), 100, 15_000, defaults.readMs),
      totalMs: clamp(params.get('tt'), 100, 15_000, defaults.totalMs),
    },
  };
}
