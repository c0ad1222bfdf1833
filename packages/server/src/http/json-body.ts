/**
 * A strict JSON body parser: the body must be valid UTF-8 and valid JSON, nested at most
 * `MAX_JSON_DEPTH` levels (checked on the text, before anything walks the value). (Fastify's
 * default would silently replace bad bytes with U+FFFD.) Failures become MALFORMED_BODY in the
 * surface's shape. Escaped NULs and lone surrogates in strings become U+FFFD (`domain/clean-text.ts`).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import { clip, preview } from '../domain/preview.js';
import { cleanJson, jsonMayNeedCleaning } from '../domain/clean-text.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../util/json-depth.js';

/** Decode a raw body as UTF-8, refusing invalid byte sequences. */
export function decodeUtf8Body(body: Buffer): string {
  if (!isUtf8(body)) throw AppError.of('MALFORMED_BODY', { message: 'The request body is not valid UTF-8.' });
  return body.toString('utf8');
}

/** Parse a JSON body. */
export function parseJsonBody(body: Buffer): unknown {
  let text = decodeUtf8Body(body);
  // A leading byte order mark (some Windows tools write one) is ignored, as RFC 8259 §8.1 allows.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw AppError.of('MALFORMED_BODY', { message: 'The request body is empty; a JSON object was expected.' });
  if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
    throw AppError.of('MALFORMED_BODY', { message: `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.` });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error; keep it short.
    throw AppError.of('MALFORMED_BODY', { message: `The request body is not valid JSON: ${clip((err as Error).message, 200)}` });
  }
  return jsonMayNeedCleaning(text) ? cleanJson(value) : value;
}

/**
 * Refuse a body sent with a content coding (`Content-Encoding: gzip`, `br`, …): bodies are read as
 * they come, so a compressed one would be parsed as text (and a plain one declared compressed
 * taken as plain). 415, as RFC 9110 §15.5.16 gives for a content coding the server does not take.
 */
export function checkContentEncoding(request: FastifyRequest): void {
  const coding = request.headers['content-encoding'];
  if (coding === undefined) return;
  const codings = coding.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length) {
    throw AppError.of('UNSUPPORTED_CONTENT_TYPE', { message: `Content-Encoding ${preview(coding, 40)} is not supported: send the body uncompressed.` });
  }
}

/** Make the strict JSON parser the only body parser of a plugin's context (its routes only). */
export function useStrictJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/(.+\+)?json(;.*)?$/i, { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done) => {
    try {
      checkContentEncoding(req);
      done(null, parseJsonBody(body));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
