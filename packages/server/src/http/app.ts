/**
 * The Fastify application: one plugin per surface, each with its own parsers, auth and error
 * formatter; ops endpoints; and plain JSON answers for unknown routes and unexpected failures.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SimulatorControl } from '../domain/ports/simulator.js';
import { isStoreUnavailable } from '../domain/ports/store.js';
import type { SessionAuthenticator } from './auth.js';
import type { HttpDeps } from './deps.js';
import { nativePlugin } from './native/plugin.js';
import { opsPlugin, type OpsDeps } from './ops/plugin.js';
import { simulatorPlugin } from './simulator/plugin.js';

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly deps: HttpDeps;
  readonly ops: OpsDeps;
  readonly simulator: SimulatorControl;
  /** Serve the REST surfaces (the node's `api` role); false leaves only the ops endpoints and `surfaces`. Default true. */
  readonly api?: boolean;
  /** The web console's session check, which every surface then accepts beside Basic auth. */
  readonly sessionAuth?: SessionAuthenticator;
  /** Extra surfaces (Compatibility API, RELAY, console) registered by the composition root. */
  readonly surfaces?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>;
}

export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Per-request log lines cost more than the request at thousands per second; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes,
    ajv: { customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false, useDefaults: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.decorateRequest('principal', null);
  app.decorate('sessionAuth', opts.sessionAuth ?? null);

  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'Not Found', message: `No route ${request.method} ${request.url.split('?')[0]}` }));
  app.setErrorHandler((err, request, reply) => {
    if (isStoreUnavailable(err)) {
      return reply.code(503).header('Retry-After', '1').send({ error: 'Service Unavailable', message: 'The database is unreachable; retry shortly.' });
    }
    const status = typeof (err as { statusCode?: number }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'unhandled error');
    return reply.code(status).send({ error: status >= 500 ? 'Internal Server Error' : 'Bad Request', message: status >= 500 ? 'An internal error occurred.' : (err as Error).message });
  });

  app.get('/', async (request) => ({
    name: 'Switchboard',
    version: opts.ops.version,
    docs: 'README.md and docs/ in the Switchboard repository',
    endpoints: {
      // The same path upgraded to a WebSocket speaks RELAY (JSON-RPC); see docs/api/relay.md.
      relay: `${request.protocol === 'https' ? 'wss' : 'ws'}://${request.headers.host ?? 'localhost'}/`,
      native: '/api/messaging/messages, /api/messaging/logs, /api/relay/rest/phone_numbers, /api/relay/rest/number_groups',
      compatibility: '/api/laml/2010-04-01/Accounts/{project}/Messages (also /2010-04-01/...)',
      simulator: '/api/simulator/messages',
      console: '/console/',
      health: '/health',
      metrics: '/metrics',
    },
  }));

  await app.register(opsPlugin, opts.ops);
  if (opts.api !== false) {
    await app.register(nativePlugin, opts.deps);
    await app.register(simulatorPlugin, { deps: opts.deps, simulator: opts.simulator });
  }
  for (const surface of opts.surfaces ?? []) await app.register(surface);
  return app;
}
