/**
 * A strict JSON body parser: the body must be valid UTF-8 and valid JSON, nested at most
 * `MAX_JSON_DEPTH` levels (checked on the text, before anything walks the value). (Fastify's
 * default would silently replace bad bytes with U+FFFD.) Failures become MALFORMED_BODY in the
 * surface's shape. Escaped NULs and lone surrogates in strings become U+FFFD (`domain/clean-text.ts`).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import { clip } from '../domain/preview.js';
import { cleanJson, jsonMayNeedCleaning } from '../domain/clean-text.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../util/json-depth.js';

/** Decode a raw body as UTF-8, refusing invalid byte sequences. */
export function decodeUtf8Body(body: Buffer): string {
  if (!isUtf8(body)) throw AppError.of('MALFORMED_BODY', { message: 'The request body is not valid UTF-8.' });
  return body.toString('utf8');
}

/** Parse a JSON body. */
export function parseJsonBody(body: Buffer): unknown {
  const text = decodeUtf8Body(body);
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

/** Make the strict JSON parser the only body parser of a plugin's context (its routes only). */
export function useStrictJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/(.+\+)?json(;.*)?$/i, { parseAs: 'buffer' }, (_req: FastifyRequest, body: Buffer, done) => {
    try {
      done(null, parseJsonBody(body));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
