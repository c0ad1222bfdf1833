/**
 * `messaging.send` at the edge: RELAY params to the surface-neutral `SendInput`, and an `AppError`
 * to RELAY's application result (a string `code` from the catalogue, the first problem's text,
 * and every problem by RELAY field name in `data`) — never a nested `result`.
 */
import { ERRORS, type MessagingSendFailure } from '@switchboard/protocol';
import { AppError, detail } from '../domain/app-error.js';
import type { SendInput } from '../domain/send-request.js';
import { RELAY_CONSTANTS } from './limits.js';

/** Context used when a send names none (the spec's server default). */
export const DEFAULT_SEND_CONTEXT = 'default';

/** RELAY field names of the surface-neutral attributes. */
const FIELD_NAMES: Readonly<Record<string, string>> = { to: 'to_number', from: 'from_number' };

/** The params `messaging.send` takes. */
const SEND_PARAMS = ['to_number', 'from_number', 'body', 'media', 'context', 'tags', 'tag', 'region', 'status_callback', 'send_as_mms', 'idempotency_key'];
const squash = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
const KNOWN = new Set(SEND_PARAMS);
/** Known params spelt another way (the REST APIs' names, camelCase): dropped, `media_url` sent a picture message as a plain SMS. */
const MEANT = new Map<string, string>([
  ...SEND_PARAMS.map((f) => [squash(f), f] as const),
  ['to', 'to_number'],
  ['from', 'from_number'],
  ['mediaurl', 'media'],
  ['mediaurls', 'media'],
  ['statuscallbackurl', 'status_callback'],
]);
/** The REST APIs' scheduling and expiry fields, which RELAY does not take: dropped, a message meant for later went out at once. */
const REST_ONLY = new Set(['sendat', 'validityperiod', 'scheduletype']);

/** Params that are a known one misspelt, or a REST-only field, each with why it is refused. */
function misnamedParams(params: Record<string, unknown>) {
  const problems = [];
  for (const name of Object.keys(params)) {
    if (KNOWN.has(name)) continue;
    const key = squash(name);
    const meant = MEANT.get(key);
    if (meant) {
      problems.push(detail('INVALID_PARAMETER', { attribute: name, message: `Unknown param '${name}': did you mean '${meant}'? messaging.send takes ${SEND_PARAMS.join(', ')}.` }));
    } else if (REST_ONLY.has(key)) {
      problems.push(
        detail('INVALID_PARAMETER', {
          attribute: name,
          message: `messaging.send does not take '${name}': RELAY sends at once and does not schedule or expire messages; use send_at or validity_period of POST /api/messaging/messages.`,
        }),
      );
    }
  }
  return problems;
}

/**
 * Map checked params to `SendInput`; throws `AppError` for RELAY-specific fields (context, tags, region)
 * and for params that would otherwise be dropped unseen (misnamedParams). Other unknown params are ignored.
 */
export function toSendInput(params: Record<string, unknown>): SendInput {
  const problems = misnamedParams(params);
  let context = DEFAULT_SEND_CONTEXT;
  if (params.context !== undefined && params.context !== null && params.context !== '') {
    if (typeof params.context !== 'string' || params.context.length > RELAY_CONSTANTS.maxContextLength) {
      problems.push(detail('INVALID_PARAMETER', { attribute: 'context', message: `context must be a string of at most ${RELAY_CONSTANTS.maxContextLength} characters.` }));
    } else {
      context = params.context;
    }
  }
  const tags: string[] = [];
  const tagsProblem = () =>
    detail('INVALID_PARAMETER', {
      attribute: 'tags',
      message: `tags must be an array of at most ${RELAY_CONSTANTS.maxTags} strings of at most ${RELAY_CONSTANTS.maxTagLength} characters.`,
    });
  if (params.tags !== undefined && params.tags !== null) {
    if (!Array.isArray(params.tags) || params.tags.some((t) => typeof t !== 'string' || t.length > RELAY_CONSTANTS.maxTagLength)) problems.push(tagsProblem());
    else tags.push(...(params.tags as string[]));
  }
  if (params.tag !== undefined && params.tag !== null && params.tag !== '') {
    if (typeof params.tag !== 'string' || params.tag.length > RELAY_CONSTANTS.maxTagLength) problems.push(detail('INVALID_PARAMETER', { attribute: 'tag', message: `tag must be a string of at most ${RELAY_CONSTANTS.maxTagLength} characters.` }));
    else if (!tags.includes(params.tag)) tags.push(params.tag);
  }
  if (tags.length > RELAY_CONSTANTS.maxTags) problems.push(tagsProblem());
  if (params.region !== undefined && params.region !== null && typeof params.region !== 'string') {
    problems.push(detail('INVALID_PARAMETER', { attribute: 'region', message: 'region must be a string.' }));
  }
  if (problems.length) throw new AppError(problems);
  return {
    to: params.to_number,
    from: params.from_number,
    body: params.body,
    media: params.media,
    sendAsMms: params.send_as_mms,
    statusCallback: params.status_callback,
    callbackFormat: 'json',
    origin: 'relay',
    context,
    tags,
  };
}

/** The application result for a refused send. */
export function toSendFailure(err: AppError): MessagingSendFailure {
  const first = err.details[0]!;
  const data: Record<string, string[]> = {};
  for (const d of err.details) {
    const field = d.attribute ? (FIELD_NAMES[d.attribute] ?? d.attribute) : 'base';
    (data[field] ??= []).push(d.message);
  }
  return { code: ERRORS[first.key].relay, message: first.message, data };
}
