/**
 * Request bodies of the Compatibility API: `application/x-www-form-urlencoded` (what every Twilio
 * and SignalWire SDK sends, arrays as repeated keys) or JSON (what `@signalwire/sdk` sends). Both
 * must be valid UTF-8 — including percent-escaped bytes, which a lenient decoder would silently
 * turn into U+FFFD — sent uncompressed, with no charset but UTF-8 declared (`checkBodyCoding`).
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { decodeForm, type FormParams } from '../percent-decoding.js';
import { checkBodyCoding, decodeUtf8Body, isEmptyDeleteBody, parseJsonBody } from '../json-body.js';
import { formPairsExceed } from '../../util/form-pairs.js';

export type { FormParams } from '../percent-decoding.js';

/** The keys each parsed form gave more than once; a JSON body has none (its lists are values). */
const repeatedKeys = new WeakMap<object, Set<string>>();
const NONE: ReadonlySet<string> = new Set();

/** The parameters a form body gave more than once (`Body=a&Body=b`); none for a JSON body. */
export function repeatedFormKeys(body: unknown): ReadonlySet<string> {
  return (body !== null && typeof body === 'object' ? repeatedKeys.get(body) : undefined) ?? NONE;
}

/**
 * The most parameters a form body may hold. A form of a message with its eight media URLs has
 * about 20; one of 20,000 distinct names (under the body limit) took 13 to 30 ms to decode, and
 * 600 of 1,000 still held another client's request for over a second, so a burst of them on many
 * connections kept every other client waiting.
 */
export const MAX_FORM_PARAMETERS = 200;

/**
 * Parse a form body strictly: escaped bytes that are not UTF-8 are refused (percent-decoding.ts),
 * as is a body of more than `MAX_FORM_PARAMETERS` parameters, before it is decoded.
 */
export function parseForm(text: string): FormParams {
  if (formPairsExceed(text, MAX_FORM_PARAMETERS)) throw AppError.of('MALFORMED_BODY', { message: `The request body has more than ${MAX_FORM_PARAMETERS} parameters.` });
  const decoded = decodeForm(text);
  if ('badName' in decoded) throw AppError.of('MALFORMED_BODY', { message: 'The request body is not valid UTF-8 (after percent-decoding).' });
  // A form's values are text; a list is a key given more than once.
  const repeated = new Set<string>();
  for (const [name, value] of Object.entries(decoded.params)) if (Array.isArray(value)) repeated.add(name);
  if (repeated.size > 0) repeatedKeys.set(decoded.params, repeated);
  return decoded.params;
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
