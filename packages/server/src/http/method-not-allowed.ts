/**
 * 405 for a path some route serves, with a method none of them takes — on every surface, in its
 * own shape: the answer names the methods the path does take, in its text and in `Allow`
 * (RFC 9110 §15.5.6). Read by the not-found handlers, which Fastify calls for any method and path
 * it has no route for.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import { requestPath } from './request-path.js';

/** The methods a 405 answer may name in its Allow header: every method some route takes. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * METHOD_NOT_ALLOWED, with `Allow` set on the reply, when a route serves the request's path with
 * another method; null when none does (a 404). The router is the application's, whichever plugin asks.
 */
export function methodNotAllowed(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): AppError | null {
  const path = requestPath(request.url);
  const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
  if (!allowed.length) return null;
  reply.header('Allow', allowed.join(', '));
  return AppError.of('METHOD_NOT_ALLOWED', { message: `${request.method} is not supported on ${path}; it takes ${allowed.join(', ')}.` });
}
