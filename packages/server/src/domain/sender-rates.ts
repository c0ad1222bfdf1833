/**
 * Default sender rates by number type, in message segments per second (0: no limit), and how a
 * configured table of them is read. Twilio documents 1 segment/s for a US long code, 3 for a
 * toll-free number and 100 for a short code (docs/guides/sending-real-traffic.md).
 */
import type { NumberType } from './phone-numbers.js';

export type SenderRateDefaults = Readonly<Record<NumberType, number>>;

export const DEFAULT_SENDER_RATES: SenderRateDefaults = { longcode: 1, 'toll-free': 3, shortcode: 100 };

const TYPES: readonly NumberType[] = ['longcode', 'toll-free', 'shortcode'];

/**
 * Read `{ "longcode": 1, "toll-free": 3, "shortcode": 100 }` (config file) or
 * `longcode=1,toll-free=3` (environment); types left out keep their default. Throws an Error
 * naming the problem: an unknown number type, or a rate that is not a number from 0 to 10000.
 */
export function parseSenderRates(raw: unknown): SenderRateDefaults {
  let entries: Array<[string, unknown]>;
  if (typeof raw === 'string') {
    entries = raw
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const [k, v] = p.split('=');
        // A rate that is no number stays as written, so the error quotes it (not NaN).
        const text = v?.trim();
        return [String(k).trim(), text === undefined || text === '' || !Number.isFinite(Number(text)) ? (text ?? '') : Number(text)];
      });
  } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    entries = Object.entries(raw);
  } else {
    throw new Error('must be an object of rates by number type, like { "longcode": 1, "toll-free": 3, "shortcode": 100 }');
  }
  const out: Record<NumberType, number> = { ...DEFAULT_SENDER_RATES };
  for (const [type, value] of entries) {
    if (!(TYPES as readonly string[]).includes(type)) throw new Error(`has an unknown number type '${type}' (known: ${TYPES.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 10_000) {
      throw new Error(`gives ${type} the rate ${typeof value === 'number' ? String(value) : JSON.stringify(value ?? null)}: a rate is a number of segments per second from 0 (no limit) to 10000`);
    }
    out[type as NumberType] = value;
  }
  return out;
}
