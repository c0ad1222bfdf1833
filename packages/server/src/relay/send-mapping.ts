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

/** Map checked params to `SendInput`; throws `AppError` for RELAY-specific fields (context, tags, region). */
export function toSendInput(params: Record<string, unknown>): SendInput {
  const problems = [];
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
