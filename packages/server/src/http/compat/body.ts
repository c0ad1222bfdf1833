/**
 * Request bodies of the Compatibility API: `application/x-www-form-urlencoded` (what every Twilio
 * and SignalWire SDK sends, arrays as repeated keys) or JSON (what `@signalwire/sdk` sends). Both
 * must be valid UTF-8 — including percent-escaped bytes, which a lenient decoder would silently
 * turn into U+FFFD — sent uncompressed, with no charset but UTF-8 declared (`checkBodyCoding`).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { withoutNul } from '../../domain/clean-text.js';
import { checkBodyCoding, decodeUtf8Body, isEmptyDeleteBody, parseJsonBody } from '../json-body.js';

/** Parsed form: a string per key, or a list when the key is repeated. */
export type FormParams = Record<string, string | string[]>;

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Decode one form component: `+` is a space, `%XX` a byte; the bytes must be UTF-8. Other characters
 * are copied by code point, so a character outside the BMP is not split into surrogate halves.
 */
function decodeComponent(raw: string): string {
  // A NUL (raw or %00) becomes U+FFFD, as everywhere input enters (`domain/clean-text.ts`); text
  // decoded from UTF-8 has no lone surrogates.
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
      const char = String.fromCodePoint(raw.codePointAt(i)!);
      for (const b of Buffer.from(char, 'utf8')) bytes.push(b);
      i += char.length - 1;
    }
  }
  const buf = Buffer.from(bytes);
  if (!isUtf8(buf)) throw AppError.of('MALFORMED_BODY', { message: 'The request body is not valid UTF-8 (after percent-decoding).' });
  return withoutNul(buf.toString('utf8'));
}

/** Parse a form body strictly. */
export function parseForm(text: string): FormParams {
  const out: FormParams = Object.create(null) as FormParams;
  if (text === '') return out;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

/** Register the compat body parsers in a plugin's context (its routes only). */
export function useCompatBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/x-www-form-urlencoded(;.*)?$/i, { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    try {
      checkBodyCoding(req);
      done(null, parseForm(decodeUtf8Body(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser(/^application\/(.+\+)?json(;.*)?$/i, { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    try {
      checkBodyCoding(req);
      if (isEmptyDeleteBody(req, body)) return done(null, undefined);
      const parsed = parseJsonBody(body);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw AppError.of('MALFORMED_BODY', { message: 'The JSON body must be an object of parameters.' });
      done(null, parsed);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
