/**
 * Percent-decoding shared by form bodies and query strings (`application/x-www-form-urlencoded`,
 * which both are): `+` is a space, `%XX` a byte, a `%` not followed by two hex digits is itself
 * (as WHATWG URL reads it), and the decoded bytes must be UTF-8. A NUL (raw or `%00`) becomes
 * U+FFFD, as everywhere input enters (`domain/clean-text.ts`); text decoded from UTF-8 has no lone
 * surrogates.
 */
import { isUtf8 } from 'node:buffer';
import { AppError } from '../domain/app-error.js';
import { withoutNul } from '../domain/clean-text.js';
import { clip } from '../domain/preview.js';

const HEX = /^[0-9a-fA-F]{2}$/;

/** One decoded component, or undefined when its escaped bytes are not UTF-8 (the caller says where). */
export function decodeFormComponent(raw: string): string | undefined {
  if (!raw.includes('%') && !raw.includes('+')) return withoutNul(raw);
  // The common case, in native code: well-formed escapes of UTF-8. decodeURIComponent refuses a
  // malformed escape and bytes that are not UTF-8 alike; the loop below tells those apart.
  try {
    return withoutNul(decodeURIComponent(raw.includes('+') ? raw.replaceAll('+', ' ') : raw));
  } catch {
    // Decoded byte by byte below.
  }
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '+') bytes.push(0x20);
    else if (c === '%' && HEX.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Other characters are copied by code point, so one outside the BMP is not split into halves.
      const char = String.fromCodePoint(raw.codePointAt(i)!);
      for (const b of Buffer.from(char, 'utf8')) bytes.push(b);
      i += char.length - 1;
    }
  }
  const buf = Buffer.from(bytes);
  return isUtf8(buf) ? withoutNul(buf.toString('utf8')) : undefined;
}

/** Decoded form parameters: a string per name, or a list when the name is repeated. */
export type FormParams = Record<string, string | string[]>;

/**
 * A form body or a query string (without its `?`) decoded, or the raw name of the first parameter
 * whose name or value is not UTF-8 once decoded.
 */
export function decodeForm(raw: string): { params: FormParams } | { badName: string } {
  const params: FormParams = Object.create(null) as FormParams;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const name = decodeFormComponent(rawName);
    const value = decodeFormComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (name === undefined || value === undefined) return { badName: rawName };
    const prev = params[name];
    if (prev === undefined) params[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else params[name] = [prev, value];
  }
  return { params };
}

/**
 * Whether some percent-escape of `raw` does not decode as UTF-8 (a stray `%`, or bytes that are
 * not UTF-8). Fastify's query parser keeps such a value whole and undecoded, its good escapes too
 * (`caf%C3%A9%zz` stayed those 12 characters), and reads `%FF` as the 3 characters `%FF`.
 */
export function hasUndecodableEscape(raw: string): boolean {
  if (!raw.includes('%')) return false;
  try {
    decodeURIComponent(raw);
    return false;
  } catch {
    return true;
  }
}

/**
 * The query of `target` (a request target) read as a form body is, when some escape in it does not
 * decode: `query` (Fastify's parse of it) is rewritten in place with the good escapes read and a
 * stray `%` kept as itself; escaped bytes that are not UTF-8 are an error naming the parameter
 * (as in a form body, or a path, where they are refused too).
 */
export function redecodeQuery(target: string, query: Record<string, unknown>): AppError | undefined {
  const at = target.indexOf('?');
  if (at < 0) return undefined;
  const raw = target.slice(at + 1);
  if (!hasUndecodableEscape(raw)) return undefined;
  const decoded = decodeForm(raw);
  if ('badName' in decoded) {
    const name = clip(decoded.badName, 40);
    return AppError.of('INVALID_PARAMETER', { attribute: name, message: `The query parameter '${name}' is not valid UTF-8 once percent-decoded: escape each byte of its UTF-8 (é is %C3%A9), and a % itself as %25.` });
  }
  for (const key of Object.keys(query)) delete query[key];
  // Defined, not assigned: a parameter named __proto__ stays a parameter whatever `query`'s prototype.
  for (const [key, value] of Object.entries(decoded.params)) Object.defineProperty(query, key, { value, enumerable: true, writable: true, configurable: true });
  return undefined;
}
