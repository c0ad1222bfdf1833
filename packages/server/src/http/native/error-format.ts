/**
 * The native REST surface's one error formatter (rest-apis §A.5):
 * - 422 validation problems: `{"errors":[{type,code,message,attribute,url}]}` under /api/messaging,
 *   `{"errors":[{detail,status,title,code}]}` under /api/relay/rest;
 * - everything else: `{"error":"<reason phrase>","message":"<what went wrong>"}` with its status.
 */
import { ERRORS, type NativeValidationError, type RelayRestError } from '@switchboard/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { AppError } from '../../domain/app-error.js';
import { setRetryAfter, wantsBasicChallenge } from '../auth.js';
import { toAppError, type ValidationMap } from '../fastify-errors.js';

const DOCS = 'https://developer.signalwire.com/rest/overview/error-codes/#';

export type NativeFlavour = 'messaging' | 'relay-rest';

export function sendNativeError(reply: FastifyReply, err: AppError, flavour: NativeFlavour): FastifyReply {
  const first = ERRORS[err.key];
  const status = first.nativeHttp;
  if (status === 422) {
    if (flavour === 'relay-rest') {
      const errors: RelayRestError[] = err.details.map((d) => ({ detail: d.message, status: '422', title: 'Invalid Attribute', code: ERRORS[d.key].native }));
      return reply.code(422).send({ errors });
    }
    const errors: NativeValidationError[] = err.details.map((d) => {
      const entry = ERRORS[d.key];
      return { type: entry.nativeType, code: entry.native, message: d.message, attribute: d.attribute, url: `${DOCS}${entry.native}` };
    });
    return reply.code(422).send({ errors });
  }
  if (status === 401 && wantsBasicChallenge(reply.request)) reply.header('WWW-Authenticate', 'Basic realm="Switchboard"');
  // Storage unavailable: the server recovers by itself, so clients may retry soon.
  if (status === 503) reply.header('Retry-After', '1');
  else if (status === 429) setRetryAfter(reply);
  return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', message: err.details[0]!.message });
}

/**
 * Answer every error of a plugin's context in the native `flavour` shape; unexpected ones are logged
 * as an unhandled error in `api` (e.g. "the console API").
 */
export function useNativeErrors(app: FastifyInstance, flavour: NativeFlavour, api: string, validation?: ValidationMap): void {
  app.setErrorHandler((err, request, reply) => {
    const appError = toAppError(err, validation);
    if (appError.key === 'INTERNAL') request.log.error({ err }, `unhandled error in ${api}`);
    return sendNativeError(reply, appError, flavour);
  });
}
