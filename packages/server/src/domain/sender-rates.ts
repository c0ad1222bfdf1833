/**
 * Default sender rates by number type, in message segments per second (0: no limit), and how a
 * configured table of them is read. Twilio documents 1 segment/s for a US long code, 3 for a
 * toll-free number and 100 for a short code (docs/guides/sending-real-traffic.md).
 */
import type { NumberType } from './phone-numbers.js';

export type SenderRateDefaults = Readonly<Record<NumberType, number>>;

export const DEFAULT_SENDER_RATES: SenderRateDefaults = { longcode: 1, 'toll-free': 3, shortcode: 100 };

const TYPES: readonly NumberType[] = ['longcode', 'toll-free', 'shortcode'];

/** Highest rate accepted, in segments per second (well above any carrier's short-code rate). */
export const MAX_SENDER_RATE = 10_000;
/**
 * Lowest rate other than 0 (no limit): one segment every 10,000 s. Slower rates put a sender's
 * next slot out of reach — a 5e-324/s rate's is Infinity, which the slot columns cannot hold — and
 * mean nothing to a carrier.
 */
export const MIN_SENDER_RATE = 0.0001;

/** Whether `v` is a rate a number or a number type may have: 0 (no limit) or MIN_SENDER_RATE to MAX_SENDER_RATE. */
export function isSenderRate(v: unknown): v is number {
  return typeof v === 'number' && (v === 0 || (v >= MIN_SENDER_RATE && v <= MAX_SENDER_RATE));
}

/** A plain decimal number (`3`, `0.5`, `.5`, `1e-3`; `-1` too, to be refused as a rate), as written in the environment form. */
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** What a valid rate is, for error messages. */
export const SENDER_RATE_RULE = `a number of segments per second: 0 (no limit), or from ${MIN_SENDER_RATE} to ${MAX_SENDER_RATE}`;

/**
 * Read `{ "longcode": 1, "toll-free": 3, "shortcode": 100 }` (config file) or
 * `longcode=1,toll-free=3` (environment); types left out keep their default. Throws an Error
 * naming the problem: an unknown number type, a type given twice, or a rate that is not one (isSenderRate).
 */
export function parseSenderRates(raw: unknown): SenderRateDefaults {
  let entries: Array<[string, unknown]>;
  if (typeof raw === 'string') {
    entries = raw
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const at = p.indexOf('=');
        // A rate that is no decimal number (`0x10`, `1=2`) stays as written, so the error quotes it.
        const text = at < 0 ? '' : p.slice(at + 1).trim();
        return [(at < 0 ? p : p.slice(0, at)).trim(), DECIMAL.test(text) ? Number(text) : text];
      });
  } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    entries = Object.entries(raw);
  } else {
    throw new Error('must be an object of rates by number type, like { "longcode": 1, "toll-free": 3, "shortcode": 100 }');
  }
  const out: Record<NumberType, number> = { ...DEFAULT_SENDER_RATES };
  const seen = new Set<string>();
  for (const [type, value] of entries) {
    if (!(TYPES as readonly string[]).includes(type)) throw new Error(`has an unknown number type '${type}' (known: ${TYPES.join(', ')})`);
    // The environment form can name a type twice (`longcode=1,longcode=20`); the last silently winning hid the typo.
    if (seen.has(type)) throw new Error(`gives ${type} a rate twice; give it once`);
    seen.add(type);
    if (!isSenderRate(value)) {
      throw new Error(`gives ${type} the rate ${typeof value === 'number' ? String(value) : JSON.stringify(value ?? null)}: a rate is ${SENDER_RATE_RULE}`);
    }
    out[type as NumberType] = value;
  }
  return out;
}
