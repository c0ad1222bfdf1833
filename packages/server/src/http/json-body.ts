/**
 * A strict JSON body parser: the body must be declared uncompressed and, if it names a charset,
 * UTF-8; it must be valid UTF-8 and valid JSON, nested at most `MAX_JSON_DEPTH` levels and
 * holding at most `MAX_JSON_MEMBERS` object members of `MAX_JSON_NAMES` names (both checked on the text, before it is
 * parsed). (Fastify's default would silently replace bad bytes with U+FFFD.) Failures become MALFORMED_BODY (UNSUPPORTED_CONTENT_TYPE for the declarations) in
 * the surface's shape. Escaped NULs and lone surrogates in strings become U+FFFD (`domain/clean-text.ts`).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import { clip, preview } from '../domain/preview.js';
import { cleanJson, jsonMayNeedCleaning } from '../domain/clean-text.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../util/json-depth.js';
import { jsonWidthExceeds, jsonWidthText } from '../util/json-members.js';
import { jsonSyntaxMessage } from '../util/json-syntax-error.js';

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
  const wide = jsonWidthExceeds(text);
  if (wide) throw AppError.of('MALFORMED_BODY', { message: `The request body has ${jsonWidthText(wide)}.` });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error; keep it short.
    throw AppError.of('MALFORMED_BODY', { message: `The request body is not valid JSON: ${clip(jsonSyntaxMessage((err as Error).message, text), 200)}` });
  }
  return jsonMayNeedCleaning(text) ? cleanJson(value) : value;
}

/**
 * Refuse a body sent with a content coding (`Content-Encoding: gzip`, `br`, …): bodies are read as
 * they come, so a compressed one would be parsed as text (and a plain one declared compressed
 * taken as plain). 415, as RFC 9110 §15.5.16 gives for a content coding the server does not take.
 */
export function checkContentEncoding(request: FastifyRequest): void {
  checkTransferCoding(request);
  const coding = request.headers['content-encoding'];
  if (coding === undefined) return;
  const codings = coding.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length) {
    throw AppError.of('UNSUPPORTED_CONTENT_TYPE', { message: `Content-Encoding ${preview(coding, 40)} is not supported: send the body uncompressed.` });
  }
}

/**
 * A transfer coding before `chunked` (`Transfer-Encoding: gzip, chunked`): Node's parser takes the
 * chunks and leaves the coding to the server, which would read gzip bytes as text. Refused as a
 * compressed body is (415, with the same advice); only `chunked` alone is taken.
 */
function checkTransferCoding(request: FastifyRequest): void {
  const coding = request.headers['transfer-encoding'];
  if (coding === undefined) return;
  const codings = coding.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'chunked');
  if (codings.length) {
    throw AppError.of('UNSUPPORTED_CONTENT_TYPE', { message: `Transfer-Encoding ${preview(coding, 40)} is not supported: send the body uncompressed (chunked or with a Content-Length).` });
  }
}

/** Charsets a body may declare: UTF-8 and its subset US-ASCII (`utf8` is a common spelling of the first). */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** A Content-Type's parameters after the media type: `name=value` or `name="quoted \"value\""`. */
const PARAMETER = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;

/**
 * Refuse a body whose Content-Type declares a charset other than UTF-8 (`application/json;
 * charset=iso-8859-1`, `utf-16`): bodies are read as UTF-8, so such a body would be refused as
 * invalid UTF-8 at best and misread at worst. (RFC 8259 defines no charset for JSON; one that
 * says UTF-8 or US-ASCII, in any case, quoted or not, is taken.) 415, as for a content coding.
 */
export function checkCharset(request: FastifyRequest): void {
  const type = request.headers['content-type'] ?? '';
  for (const [, name, raw] of type.matchAll(PARAMETER)) {
    if (name!.toLowerCase() !== 'charset') continue;
    const value = raw!.trim();
    const charset = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
    if (UTF8_CHARSETS.has(charset.toLowerCase())) continue;
    throw AppError.of('UNSUPPORTED_CONTENT_TYPE', { message: `charset ${preview(charset, 40)} is not supported: send the body as UTF-8.` });
  }
}

/**
 * Refuse a body whose Content-Type came on more than one line with different values
 * (`application/json` and `application/x-www-form-urlencoded`): Node keeps the first line and drops
 * the rest without a word, so the body would be parsed as one type while a proxy in front may
 * have read it as the other (as `repeated-fields.ts` says of Host). 400, as for two Hosts; the
 * same value repeated names one type and is taken.
 */
function checkContentTypeOnce(request: FastifyRequest): void {
  // The raw lines, not `headersDistinct`: that builds an object of every header on each request.
  const raw = request.raw.rawHeaders;
  let first: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 12 || name.toLowerCase() !== 'content-type') continue;
    const value = raw[i + 1]!.trim().toLowerCase();
    if (first === undefined) first = value;
    else if (value !== first) throw AppError.of('MALFORMED_REQUEST', { message: 'Content-Type was given more than once with different values: send one, naming the type of the body.' });
  }
}

/** The checks of a body's declared coding before it is read: one Content-Type, no content coding, no charset but UTF-8. */
export function checkBodyCoding(request: FastifyRequest): void {
  checkContentTypeOnce(request);
  checkContentEncoding(request);
  checkCharset(request);
}

/**
 * An empty body on a DELETE is no body, whatever its Content-Type: SignalWire's Python SDK sends
 * `Content-Type: application/json` with every request (a session header) and `requests` adds
 * `Content-Length: 0` to a DELETE, so `client.number_groups.delete(id)` reaches the parser with
 * nothing to parse. Other methods still need their JSON.
 */
export function isEmptyDeleteBody(req: FastifyRequest, body: Buffer): boolean {
  return body.length === 0 && req.method === 'DELETE';
}

/** Make the strict JSON parser the only body parser of a plugin's context (its routes only). */
export function useStrictJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/(.+\+)?json(;.*)?$/i, { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done) => {
    try {
      checkBodyCoding(req);
      done(null, isEmptyDeleteBody(req, body) ? undefined : parseJsonBody(body));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
