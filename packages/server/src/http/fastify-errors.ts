/**
 * Fastify's own failures (body too large, bad content type, schema validation, a path it cannot
 * decode or whose parameter is too long) mapped onto the error catalogue, so every surface formats
 * them like any other error.
 */
import type { FastifyError } from 'fastify';
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError, detail } from '../domain/app-error.js';
import { isStoreUnavailable } from '../domain/ports/store.js';

/** Map a schema validation failure's property to the catalogue entry for it. */
export type ValidationMap = Readonly<Record<string, Parameters<typeof detail>[0]>>;

/** Turn any error thrown while handling a request into an AppError. */
export function toAppError(err: unknown, validationMap: ValidationMap = {}): AppError {
  if (err instanceof AppError) return err;
  // The database is unreachable: a retryable 503 in the surface's own shape, never a 500.
  if (isStoreUnavailable(err)) return AppError.of('UNAVAILABLE');
  const e = err as FastifyError & { validation?: Array<{ instancePath: string; keyword?: string; message?: string; params?: Record<string, unknown> }>; validationContext?: string };
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return AppError.of('BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return AppError.of('UNSUPPORTED_CONTENT_TYPE', { message: 'Unsupported Content-Type; send application/json.' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return AppError.of('MALFORMED_BODY', { message: e.message });
    // Routing failures, which happen before any route (and its surface's handlers) is chosen.
    case 'FST_ERR_BAD_URL':
      return AppError.of('URL_MALFORMED');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return AppError.of('PATH_SEGMENT_TOO_LONG');
  }
  if (e?.validation) return new AppError(validationDetails(e.validation, validationMap, e.validationContext === 'querystring'));
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 404) return AppError.of('NOT_FOUND');
    return AppError.of(e.statusCode === 413 ? 'BODY_TOO_LARGE' : e.statusCode === 415 ? 'UNSUPPORTED_CONTENT_TYPE' : 'MALFORMED_BODY', { message: e.message });
  }
  // Fastify's own 503s (a handler timeout, a server closing) are as retryable as a database outage.
  if (e?.statusCode === 503) return AppError.of('UNAVAILABLE');
  return AppError.of('INTERNAL');
}

function validationDetails(list: Array<{ instancePath: string; keyword?: string; message?: string; params?: Record<string, unknown> }>, map: ValidationMap, query: boolean): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const v of list) {
    const property = v.instancePath.split('/')[1] ?? (typeof v.params?.missingProperty === 'string' ? v.params.missingProperty : '');
    if (seen.has(property)) continue;
    seen.add(property);
    const key = map[property];
    if (!property) out.push(detail('MALFORMED_BODY', { message: v.message === 'must be object' ? 'The request body must be a JSON object.' : `The request body ${v.message ?? 'is malformed'}.` }));
    // A query string's values are text, or a list of them when the parameter is repeated: said as
    // the routes that read their parameters themselves say it (`singleParam`), not "must be string".
    else if (query && v.keyword === 'type' && v.params?.type === 'string') out.push(detail(key ?? 'INVALID_PARAMETER', { attribute: property, message: `${property} must be given once.` }));
    else if (key) out.push(detail(key, { attribute: property }));
    else if (v.keyword === 'type' && v.params?.type !== undefined) out.push(detail('INVALID_PARAMETER', { attribute: property, message: `${property} must be ${typesInWords(v.params.type)}.` }));
    else out.push(detail('INVALID_PARAMETER', { attribute: property, message: `${property} ${v.message ?? 'is invalid'}.` }));
  }
  return out.length ? out : [detail('MALFORMED_BODY')];
}

/** JSON types as words (the validator says "must be boolean,null"). */
const TYPE_WORDS: Record<string, string[]> = { string: ['a string'], number: ['a number'], integer: ['a whole number'], boolean: ['true', 'false'], object: ['an object'], array: ['a list'], null: ['null'] };

/** `boolean,null` (a list or a comma-separated text) → "true, false or null"; `string` → "a string". */
function typesInWords(types: unknown): string {
  const names = Array.isArray(types) ? types.map(String) : String(types).split(',');
  const words = names.flatMap((t) => TYPE_WORDS[t] ?? [t]);
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}
