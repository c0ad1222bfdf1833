/**
 * Every answered request, once: its duration into the `switchboard_http_request_duration_seconds`
 * histogram (labelled by route pattern, never the raw URL, so ids do not multiply series) and one
 * log line at `info`. One callback hook for both; the fields follow pino-http's `req`/`res`/
 * `responseTime`, and the message is the line a person reads on a terminal.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PrometheusMetrics } from './metrics.js';

/** Probes and scrapes come every few seconds from machines: logged at `debug` only. */
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

export function observeRequests(app: FastifyInstance, metrics: PrometheusMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    const ms = reply.elapsedTime;
    const status = reply.statusCode;
    metrics.httpRequest(request.method, route ?? 'unmatched', status, ms / 1000);
    const quiet = route !== undefined && QUIET_ROUTES.has(route);
    // Fastify's request logger is a pino child; asking first keeps `warn` and above free of the line's cost.
    const log = request.log as Logger;
    if (log.isLevelEnabled(quiet ? 'debug' : 'info')) {
      const fields = { req: { method: request.method, url: request.url }, res: { statusCode: status }, responseTime: ms };
      log[quiet ? 'debug' : 'info'](fields, `${request.method} ${request.url} ${status} ${ms.toFixed(1)} ms`);
    }
    done();
  });
}
