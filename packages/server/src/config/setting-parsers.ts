/**
 * How a setting is described and parsed: the spec every row of the settings table follows, and the
 * parsers its rows use. A parser throws `InvalidSetting` with the reason; the loader names the
 * setting and where its value came from.
 */
import { isIP } from 'node:net';
import { didYouMean } from '../domain/closest-name.js';
import { classifyNumber } from '../domain/phone-numbers.js';

/** Where a raw value came from, for error messages. */
export type SettingSource = { readonly kind: 'default' } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'env' } | { readonly kind: 'flag' };

export interface SettingSpec<T> {
  /** Dotted key in the config file, e.g. `simulator.delayMs`. */
  readonly key: string;
  readonly env: string;
  /** Long flag without dashes, or null when the setting has no flag. */
  readonly flag: string | null;
  readonly description: string;
  /** Default value, or a function of the settings resolved so far. */
  readonly default: T;
  /** Default shown in docs when the value is computed. */
  readonly defaultLabel?: string;
  parse(raw: unknown): T;
}

/** Thrown by a parser with the reason; the loader adds the setting's name and source. */
export class InvalidSetting extends Error {}

export const parsers = {
  int(min: number, max: number) {
    return (raw: unknown): number => {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
      if (!Number.isInteger(n) || n < min || n > max) throw new InvalidSetting(`must be a whole number from ${min} to ${max}`);
      return n;
    };
  },
  bool(raw: unknown): boolean {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw === 'string' && /^(1|true|yes|on)$/i.test(raw.trim())) return true;
    if (typeof raw === 'string' && /^(0|false|no|off)$/i.test(raw.trim())) return false;
    throw new InvalidSetting('must be true or false');
  },
  string(raw: unknown): string {
    if (typeof raw !== 'string' || raw.trim() === '') throw new InvalidSetting('must be a non-empty string');
    return raw.trim();
  },
  optionalString(raw: unknown): string | null {
    // Empty or only spaces (`VAR= `, a stray space in a .env file) is unset, as an absent variable.
    if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return null;
    if (typeof raw !== 'string') throw new InvalidSetting('must be a string');
    return raw.trim();
  },
  oneOf<T extends string>(...values: T[]) {
    return (raw: unknown): T => {
      // In any case: `LOG_LEVEL=DEBUG` is how many tools spell it, and no two values differ only by case.
      const found = typeof raw === 'string' ? values.find((v) => v.toLowerCase() === raw.trim().toLowerCase()) : undefined;
      if (found !== undefined) return found;
      throw new InvalidSetting(`must be one of ${values.join(', ')}`);
    };
  },
  list(raw: unknown): string[] {
    if (Array.isArray(raw)) return raw.map((v) => String(v).trim()).filter(Boolean);
    if (typeof raw === 'string') return raw.split(',').map((v) => v.trim()).filter(Boolean);
    throw new InvalidSetting('must be a comma-separated list');
  },
  /** One or more of `values`, comma-separated, in any case, each at most once; a misspelt one is told the value it is near. */
  someOf<T extends string>(...values: T[]) {
    return (raw: unknown): T[] => {
      const list = parsers.list(raw);
      const found = list.map((r) => values.find((v) => v.toLowerCase() === r.toLowerCase()));
      const bad = list.filter((_, i) => found[i] === undefined);
      if (bad.length || list.length === 0) {
        const named = bad.map((b) => `${JSON.stringify(b)}${didYouMean(b, values)}`).join(', ');
        throw new InvalidSetting(`must list one or more of ${values.join(', ')}${named ? `; ${named} ${bad.length === 1 ? 'is' : 'are'} not one` : ''}`);
      }
      return [...new Set(found as T[])];
    };
  },
};

/** Comma-separated numbers, each E.164 or a short code: a bad one stops the start, not the first send. */
export function numberList(raw: unknown): string[] {
  const list = parsers.list(raw);
  const bad = list.filter((n) => classifyNumber(n) === undefined);
  if (bad.length) {
    const named = bad.map((b) => {
      const meant = e164Meant(b);
      return meant === null ? JSON.stringify(b) : `${JSON.stringify(b)} (did you mean "${meant}"?)`;
    });
    throw new InvalidSetting(`must list E.164 numbers (+ and digits, e.g. +15551230001) or 5 to 6 digit short codes, separated by commas; ${named.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not`);
  }
  return list;
}

/**
 * The E.164 number a refused entry most likely meant: one written without its `+` (11 to 15 digits:
 * a country code and a national number) or with spaces, dashes, dots or brackets. Null when that is
 * a guess (10 digits or fewer may lack the country code).
 */
function e164Meant(value: string): string | null {
  const digits = value.replace(/[\s().-]/g, '');
  const meant = digits.startsWith('+') ? digits : /^\d{11,15}$/.test(digits) ? `+${digits}` : null;
  return meant !== null && classifyNumber(meant) !== undefined ? meant : null;
}

/**
 * Comma-separated host names (a leading `*.` wildcard allowed) and IP addresses for the generated
 * certificate: `a b` or `https://x` would be written into it as a name no client ever matches.
 */
export function hostnameList(raw: unknown): string[] {
  const list = parsers.list(raw);
  // Underscores pass: container names have them, and the name is matched as written.
  const name = /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?)*\.?$/;
  const bad = list.filter((h) => isIP(h) === 0 && !(name.test(h) && h.length <= 253));
  if (bad.length) throw new InvalidSetting(`must list host names or IP addresses, separated by commas; ${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not`);
  return list;
}

/** A printable-ASCII SMPP string of bounded length (system_id, password). */
export function smppString(max: number) {
  return (raw: unknown): string => {
    if (typeof raw !== 'string' || raw === '' || raw.length > max || !/^[\x21-\x7e]+$/.test(raw)) throw new InvalidSetting(`must be 1 to ${max} printable ASCII characters without spaces`);
    return raw;
  };
}

/** An optional absolute http(s) URL without query or fragment (a base URL): a typo stops the start, not every link it would build. */
export function optionalBaseUrl(raw: unknown): string | null {
  const value = parsers.optionalString(raw);
  if (value === null) return null;
  const url = URL.parse(value);
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname || url.search || url.hash) throw new InvalidSetting('must be an http:// or https:// base URL, e.g. https://sms.example.com');
  return value;
}

/**
 * An optional project id to ensure at start. It is the user name of HTTP Basic auth, which ends at
 * the first colon, and a path segment of the Compatibility API (`/Accounts/{id}/…`): an id with a
 * colon, slash, space or other such character started a project no client could authenticate as.
 */
export function optionalProjectId(raw: unknown): string | null {
  const value = parsers.optionalString(raw);
  if (value !== null && !/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
    throw new InvalidSetting('must be 1 to 64 letters, digits, dots, dashes or underscores (a UUID, or an AC… sid for the twilio client), since it is the user name of HTTP Basic auth and part of API paths');
  }
  return value;
}
