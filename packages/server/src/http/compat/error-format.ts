/**
 * The Compatibility API's one error formatter: Twilio's flat shape `{code, message, more_info,
 * status}` with SignalWire's numeric codes (rest-apis §B.6); `status` equals the HTTP status;
 * `more_info` is SignalWire's page of the code, or Twilio's for a code used in Twilio's meaning.
 * Always a JSON object — the compat SDK dereferences `.message` of whatever it parses.
 */
import { ERRORS, type CompatError } from '@switchboard/protocol';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { setRetryAfter } from '../auth.js';
import { requestPath } from '../request-path.js';

const MORE_INFO = 'https://developer.signalwire.com/compatibility-api/reference/error-codes';
/** Twilio's page of one code, the `more_info` Twilio's API answers (`https://www.twilio.com/docs/errors/21211`). */
const TWILIO_MORE_INFO = 'https://www.twilio.com/docs/errors/';
/** When a client may retry a 503 (storage unavailable): soon, the server recovers by itself. */
const RETRY_AFTER_SECONDS = '1';

export function compatErrorBody(err: AppError): CompatError {
  const first = err.details[0]!;
  const entry = ERRORS[first.key];
  // A code used in Twilio's meaning is explained on Twilio's page; SignalWire's list lacks it or means another thing.
  const moreInfo = entry.twilioMeaning ? `${TWILIO_MORE_INFO}${entry.compat}` : `${MORE_INFO}#${entry.compat}`;
  return { code: entry.compat, message: first.message, more_info: moreInfo, status: entry.compatHttp };
}

/** Twilio's 404 for a path that names no resource (an unknown route, or a sid that is not there). */
export function resourceNotFound(target: string): AppError {
  const path = requestPath(target);
  return AppError.of('NOT_FOUND', { message: `The requested resource ${path} was not found${doubledPrefixHint(path)}` });
}

/**
 * A client whose base URL ends in `/api/laml` (the prefix SignalWire documents, and that the
 * answers' URIs show) serves its first requests, then joins a `next_page_uri`, which carries the
 * prefix too, to it: the second page of every list is this 404. Said so, with the fix, since the
 * path alone reads like a server fault.
 */
function doubledPrefixHint(path: string): string {
  return /^\/api\/laml\/api\/laml(\/|$)/.test(path)
    ? ': the /api/laml prefix is in it twice, as a client whose base URL ends in /api/laml builds it from a page URI (which carries the prefix). Set the base URL to the host alone, such as https://localhost:8443'
    : '';
}

export function sendCompatError(reply: FastifyReply, err: AppError): FastifyReply {
  const body = compatErrorBody(err);
  if (body.status === 401) reply.header('WWW-Authenticate', 'Basic realm="Switchboard"');
  if (body.status === 503) reply.header('Retry-After', RETRY_AFTER_SECONDS);
  else if (body.status === 429) setRetryAfter(reply);
  return reply.code(body.status).type('application/json; charset=utf-8').send(body);
}
