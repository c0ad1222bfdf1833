/**
 * The Compatibility API as one Fastify plugin, served under both `/api/laml/2010-04-01` (SignalWire's
 * documented prefix) and `/2010-04-01` (what the Twilio-derived SDKs call), each path with and
 * without `.json`. Its own body parsers (form with repeated keys, JSON; strict UTF-8), its own
 * auth hook (Basic project:token, `messaging` scope — `numbers` for IncomingPhoneNumbers, AvailablePhoneNumbers and SMS/ShortCodes — and the path's AccountSid must be that
 * project) and its own error formatter (Twilio's flat shape with SignalWire's codes).
 */
import { COMPAT_API_VERSION } from '@switchboard/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/app-error.js';
import { authenticate } from '../auth.js';
import { toAppError } from '../fastify-errors.js';
import { bodyRefusedWithoutRoute, methodNotAllowed } from '../method-not-allowed.js';
import { accountRoutes } from './account-routes.js';
import { applicationRoutes } from './application-routes.js';
import { availableNumberRoutes } from './available-number-routes.js';
import { useCompatBodies } from './body.js';
import type { CompatDeps } from './deps.js';
import { resourceNotFound, sendCompatError } from './error-format.js';
import { incomingNumberRoutes } from './incoming-number-routes.js';
import { messageRoutes } from './message-routes.js';
import { sidOf } from './params.js';
import { shortCodeRoutes } from './short-code-routes.js';

/** Both prefixes the API answers on. */
export const COMPAT_PREFIXES = [`/api/laml/${COMPAT_API_VERSION}`, `/${COMPAT_API_VERSION}`] as const;

async function compatSurface(app: FastifyInstance, deps: CompatDeps): Promise<void> {
  useCompatBodies(app);
  // Route schemas here describe the API for the OpenAPI document: parameters are checked by the
  // routes (Twilio's order and codes) and answers are what the presenters build, as JSON.stringify writes them.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // A known path with a method it does not take is Twilio's 20004 (405, with Allow); any other is 20404.
  const notFound = (request: FastifyRequest, reply: FastifyReply) => sendCompatError(reply, methodNotAllowed(app, request, reply) ?? resourceNotFound(request.url));
  app.setErrorHandler((err, request, reply) => {
    let appError = toAppError(err);
    // A content type no parser takes; a refused Content-Encoding or charset keeps its own message.
    if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      appError = AppError.of('UNSUPPORTED_CONTENT_TYPE', { message: 'Unsupported Content-Type; send application/x-www-form-urlencoded or application/json.' });
    }
    if (appError.key === 'INTERNAL') request.log.error({ err }, 'unhandled error in the Compatibility API');
    if (bodyRefusedWithoutRoute(request, appError)) return notFound(request, reply);
    return sendCompatError(reply, appError);
  });
  app.setNotFoundHandler(notFound);
  app.addHook('onRequest', async (request) => {
    // Numbers (and the search for numbers to buy) need the `numbers` scope, as on the native API;
    // renaming the account `management`; everything else `messaging`.
    const route = request.routeOptions.url ?? '';
    const scope = /\/(IncomingPhoneNumbers|AvailablePhoneNumbers|SMS\/ShortCodes)/.test(route) ? 'numbers' : request.method === 'POST' && /\/Accounts\/:AccountSid$/.test(route) ? 'management' : 'messaging';
    // Test tokens (Twilio's test credentials) may only create messages; anything else is 20008.
    const allowTest = request.method === 'POST' && /\/Messages(\.json)?$/.test(route);
    const principal = await authenticate(deps.verifier, request, scope, { allowTest });
    const rawAccountSid = (request.params as { AccountSid?: string } | undefined)?.AccountSid;
    // `GET /Accounts/{sid}.json` ends in the AccountSid itself.
    const accountSid = rawAccountSid === undefined ? undefined : sidOf(rawAccountSid);
    if (accountSid !== undefined && accountSid.toLowerCase() !== principal.projectId.toLowerCase()) {
      throw AppError.of('ACCOUNT_MISMATCH', { message: `The AccountSid ${accountSid} in the URL is not the project you authenticated as.` });
    }
  });
  await accountRoutes(app, deps);
  await messageRoutes(app, deps);
  await applicationRoutes(app, deps);
  await incomingNumberRoutes(app, deps);
  await availableNumberRoutes(app);
  await shortCodeRoutes(app, deps);
}

/** The surface to hand to `buildHttpApp({ surfaces })`. */
export function compatPlugin(deps: CompatDeps): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    for (const prefix of COMPAT_PREFIXES) await app.register(compatSurface, { prefix, ...deps });
  };
}
