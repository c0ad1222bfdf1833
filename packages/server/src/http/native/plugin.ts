/**
 * The native REST surface as one Fastify plugin: its own strict JSON parser, auth hooks and error
 * formatter. Messaging routes answer errors in the `/api/messaging` shape, phone numbers in the
 * `/api/relay/rest` shape.
 */
import type { FastifyInstance } from 'fastify';
import type { ValidationMap } from '../fastify-errors.js';
import type { HttpDeps } from '../deps.js';
import { useStrictJson } from '../json-body.js';
import { useNativeErrors, type NativeFlavour } from './error-format.js';
import { messagingRoutes } from './messaging-routes.js';
import { optOutRoutes } from './opt-out-routes.js';
import { phoneNumberRoutes } from './phone-number-routes.js';
import { shortCodeRoutes } from './short-code-routes.js';

/** Which catalogue entry a structural (schema) failure of each body property is (send requests). */
const VALIDATION: ValidationMap = {
  to: 'TO_INVALID',
  from: 'FROM_INVALID',
  body: 'BODY_INVALID',
  media: 'MEDIA_URL_INVALID',
  send_as_mms: 'SEND_AS_MMS_INVALID',
  status_callback: 'STATUS_CALLBACK_INVALID',
  custom_variables: 'CUSTOM_VARIABLES_NOT_OBJECT',
  smart_encoded: 'SMART_ENCODED_INVALID',
  send_at: 'SEND_AT_INVALID',
  validity_period: 'VALIDITY_PERIOD_INVALID',
};

function surface(flavour: NativeFlavour, routes: (app: FastifyInstance, deps: HttpDeps) => Promise<void>) {
  return async (app: FastifyInstance, deps: HttpDeps) => {
    useStrictJson(app);
    useNativeErrors(app, flavour, 'the native API', VALIDATION);
    await routes(app, deps);
  };
}

export async function nativePlugin(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(surface('messaging', messagingRoutes), deps);
  await app.register(surface('messaging', optOutRoutes), deps);
  await app.register(surface('relay-rest', phoneNumberRoutes), deps);
  await app.register(surface('relay-rest', shortCodeRoutes), deps);
}
