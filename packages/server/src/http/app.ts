/**
 * The Fastify application: one plugin per surface, each with its own parsers, auth and error
 * formatter; ops endpoints; and plain JSON answers for unknown routes. Errors raised outside a
 * surface's own handlers — routing failures (a bad %-escape, a parameter over Fastify's
 * `maxParamLength`) happen before any route is chosen — are answered in the shape of the surface
 * the path belongs to, on HTTP and HTTPS alike (both hand requests to this app).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError } from '../domain/app-error.js';
import { cleanStringValues } from '../domain/clean-text.js';
import type { SimulatorControl } from '../domain/ports/simulator.js';
import type { AuthThrottle } from '../util/auth-throttle.js';
import { useAuthThrottle, type SessionAuthenticator } from './auth.js';
import { baseUrl } from './base-url.js';
import { resourceNotFound, sendCompatError } from './compat/error-format.js';
import { COMPAT_PREFIXES } from './compat/plugin.js';
import type { HttpDeps } from './deps.js';
import { toAppError } from './fastify-errors.js';
import { useFetchSlots } from './fetch-slots.js';
import { useListSlots } from './list-slots.js';
import type { ProjectSlots } from '../util/project-slots.js';
import { useSendSlots } from './send-slots.js';
import { bodyRefusedWithoutRoute, METHODS, methodNotAllowed } from './method-not-allowed.js';
import { sendNativeError, type NativeFlavour } from './native/error-format.js';
import { nativePlugin } from './native/plugin.js';
import { openApiPlugin } from './openapi/plugin.js';
import { redecodeQuery } from './percent-decoding.js';
import { opsPlugin, type OpsDeps } from './ops/plugin.js';
import { observeRequests } from './ops/request-observer.js';
import { givenMoreThanOnce } from './repeated-fields.js';
import { decodedRequestPath, requestPath } from './request-path.js';
import { simulatorPlugin } from './simulator/plugin.js';
import { hasEmptyParam, lowerUuidParams } from './uuid-params.js';

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly deps: HttpDeps;
  readonly ops: OpsDeps;
  readonly simulator: SimulatorControl;
  /** The operator project (see "Tenancy" in docs/architecture.md): alone may steer what every project shares. */
  readonly operatorProjectId: string;
  /** Serve the REST surfaces (the node's `api` role); false leaves only the ops endpoints and `surfaces`. Default true. */
  readonly api?: boolean;
  /** The web console's session check, which every surface then accepts beside Basic auth. */
  readonly sessionAuth?: SessionAuthenticator;
  /** Counts failed authentications per client address and project id (429 past their budget). */
  readonly authThrottle?: AuthThrottle;
  /** Lists in progress per project (429 past the bound); unset: not limited. */
  readonly listSlots?: ProjectSlots;
  /** Sends in progress per project (429 past the bound); unset: not limited. */
  readonly sendSlots?: ProjectSlots;
  /** Single fetches (a message by id) in progress per project (429 past the bound); unset: not limited. */
  readonly fetchSlots?: ProjectSlots;
  /** Extra surfaces (Compatibility API, RELAY, console) registered by the composition root. */
  readonly surfaces?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>;
}

/** The surface a request belongs to, by the prefix of its path as the router reads it (`http/request-path.ts`). */
function surfaceOf(url: string): 'compat' | NativeFlavour {
  // A path with a doubled slash (`//2010-04-01/…`, `/api//laml/…`: a base URL ending in "/" joined
  // by hand; the official clients trim it) is served by no route, as the router takes slashes as
  // sent, but is answered in the shape of the surface it meant, wherever the slashes are doubled:
  // Twilio's 20404 for a Compatibility API path. Only the shape is chosen so; routing, and so auth
  // and scopes, still see the path as sent.
  const path = decodedRequestPath(url).replace(/\/{2,}/g, '/');
  // SignalWire's LaML API lives under /api/laml, whatever follows.
  if (path === '/api/laml' || path.startsWith('/api/laml/') || COMPAT_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return 'compat';
  if (path === '/api/relay/rest' || path.startsWith('/api/relay/rest/')) return 'relay-rest';
  // The native messaging API, and the shape of everything else (ops, simulator, console): {error, message}.
  return 'messaging';
}

/**
 * Every answer is never sniffed as another type than it says (an error echoing a path is the
 * classic case) and, unless its route chose otherwise (the console's built files), never stored:
 * API answers carry message bodies, codes on the simulator's handset inbox and new tokens, which
 * neither a browser's cache (the console reads the public APIs with its session) nor a proxy may
 * keep. Set here rather than per surface so that answers chosen before any route is (unknown
 * paths, 405s, bad %-escapes) have them too.
 */
function setSafetyHeaders(reply: FastifyReply): void {
  if (!reply.hasHeader('x-content-type-options')) reply.header('X-Content-Type-Options', 'nosniff');
  if (!reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-store');
}

/** Answer an error that reached the application's own handlers in the shape of the path's surface. */
function sendSurfaceError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const surface = surfaceOf(request.url);
  let appError = toAppError(err);
  if (bodyRefusedWithoutRoute(request, appError)) return sendNotFound(request.server, request, reply);
  if (appError.key === 'INTERNAL') request.log.error({ err }, 'unhandled error');
  if (surface !== 'compat') return sendNativeError(reply, appError, surface);
  // Twilio's wording for a path that names no resource.
  if (appError.key === 'NOT_FOUND' || appError.key === 'PATH_SEGMENT_TOO_LONG') appError = resourceNotFound(request.url);
  return sendCompatError(reply, appError);
}

/** The answer for a request no route serves, in the shape of the path's surface. */
function sendNotFound(app: FastifyInstance | null, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const surface = surfaceOf(request.url);
  // A path some route serves, with a method none of them takes: 405 naming the methods it does
  // (`app` null: no route serves the path, though the router matched one).
  const notAllowed = app ? methodNotAllowed(app, request, reply) : undefined;
  if (surface === 'compat') return sendCompatError(reply, notAllowed ?? resourceNotFound(request.url));
  if (notAllowed) return sendNativeError(reply, notAllowed, surface);
  return reply.code(404).send({ error: 'Not Found', message: `No route ${request.method} ${requestPath(request.url)}` });
}

export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Fastify's two lines per request (incoming, completed) are replaced by one: see ops/request-observer.ts.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes,
    ajv: { customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false, useDefaults: false } },
    // Requests arriving while the server closes are refused below, in their surface's shape.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Answered outside every context's hooks (onSend included), so its headers are set here.
    frameworkErrors: (err, request, reply) => {
      setSafetyHeaders(reply);
      return sendSurfaceError(err, request, reply);
    },
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('retryAfterSeconds', 0);
  app.decorate('sessionAuth', opts.sessionAuth ?? null);
  useAuthThrottle(app, opts.authThrottle ?? null);
  useListSlots(app, opts.listSlots ?? null);
  useSendSlots(app, opts.sendSlots ?? null);
  useFetchSlots(app, opts.fetchSlots ?? null);
  observeRequests(app, opts.ops.metrics);

  app.setNotFoundHandler((request, reply) => sendNotFound(app, request, reply));
  app.setErrorHandler((err, request, reply) => sendSurfaceError(err, request, reply));
  const sessionAuth = opts.sessionAuth;
  app.addHook('onSend', (request, reply, payload, done) => {
    setSafetyHeaders(reply);
    // A console session this request extended: its cookie follows, on every surface the console
    // calls (unless the answer sets the cookie itself: a login, a logout).
    const renewed = sessionAuth?.renewedCookie(request);
    if (renewed && !reply.hasHeader('Set-Cookie')) reply.header('Set-Cookie', renewed);
    done(null, payload);
  });
  // What Fastify's return503OnClosing does, with each surface's error shape instead of Fastify's.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook, not an async one: every request passes here, and most only read the flag.
  app.addHook('onRequest', (request, reply, done) => {
    // A query is percent-decoded as a form body is: bytes that are not UTF-8 are refused, not read
    // as the literal text of their escapes (percent-decoding.ts). A '#' is refused below.
    const badQuery = request.url.includes('#') ? undefined : redecodeQuery(request.url, request.query as Record<string, unknown>);
    if (badQuery) return done(badQuery);
    // Query strings and path parameters are input like bodies: a NUL or a lone surrogate becomes
    // U+FFFD, so a filter or an id means the same on SQLite and PostgreSQL (domain/clean-text.ts).
    cleanStringValues(request.query as Record<string, unknown>);
    cleanStringValues(request.params as Record<string, unknown>);
    lowerUuidParams(request.params as Record<string, unknown>);
    // An empty id (`/logs/`, `/Accounts//Messages.json`): no route serves that path, though the
    // router matched one with a blank parameter ("Message  was not found").
    if (hasEmptyParam(request.params as Record<string, unknown>)) return void sendNotFound(null, request, reply);
    // A target in asterisk form is only for a server-wide OPTIONS (RFC 9112 §3.2.4): `OPTIONS *` is
    // told every method the server takes; any other (`GET *`, `GET *api/…`, which the router would
    // read as `/` and `/api/…`) names no path.
    if (request.url.startsWith('*')) {
      if (request.url === '*' && request.method === 'OPTIONS') return void reply.code(204).header('Allow', METHODS.join(', ')).send();
      return done(AppError.of('URL_MALFORMED', { message: "The request target is not a path: '*' is only for OPTIONS *." }));
    }
    // A fragment is never sent to a server (RFC 9110 §4.2.4); the query parser would read a raw `#`
    // into a parameter (`?PageSize=1#x` is "1#x", `/logs#x` a parameter `x`).
    if (request.url.includes('#')) return done(AppError.of('URL_MALFORMED', { message: "The request target has a '#': a fragment is not sent to a server; percent-encode it as %23." }));
    // A server must answer 400 to more than one Host (RFC 9112 §3.2); Node kept the first for the links.
    if (givenMoreThanOnce(request.raw.rawHeaders, 'host')) return done(AppError.of('MALFORMED_REQUEST', { message: 'Host was given more than once: a request names one host (RFC 9112 §3.2).' }));
    if (!closing) return done();
    reply.header('Connection', 'close');
    done(AppError.of('UNAVAILABLE', { message: 'This server is shutting down; retry on another node or shortly.' }));
  });

  app.get('/', async (request) => ({
    name: 'Switchboard',
    version: opts.ops.version,
    docs: 'README.md and docs/ in the Switchboard repository',
    endpoints: {
      // The same path upgraded to a WebSocket speaks RELAY (JSON-RPC); see docs/api/relay.md.
      relay: `${baseUrl(request, null).replace(/^http/, 'ws')}/`,
      native: '/api/messaging/messages, /api/messaging/logs, /api/relay/rest/phone_numbers, /api/relay/rest/number_groups',
      compatibility: '/api/laml/2010-04-01/Accounts/{project}/Messages (also /2010-04-01/...)',
      simulator: '/api/simulator/messages',
      openapi: '/api/openapi.json',
      console: '/console/',
      health: '/health',
      metrics: '/metrics',
    },
  }));

  // Before any route: it collects them as they are added (not encapsulated, so it sees every surface's).
  if (opts.api !== false) await openApiPlugin(app, { version: opts.ops.version });
  await app.register(opsPlugin, opts.ops);
  if (opts.api !== false) {
    await app.register(nativePlugin, opts.deps);
    await app.register(simulatorPlugin, { deps: opts.deps, simulator: opts.simulator, operatorProjectId: opts.operatorProjectId });
  }
  for (const surface of opts.surfaces ?? []) await app.register(surface);
  return app;
}
