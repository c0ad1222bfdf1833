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

/**
 * Whether an error is a refusal of a request's body (not JSON, not UTF-8, a content type, coding or
 * charset no parser takes) on a request no route serves. Fastify reads a body before its not-found
 * handler runs, so `POST /health` with a malformed JSON body was a 400 about the body, and the same
 * request with the body fixed a 405: the path and method come first, as they do without a body.
 */
export function bodyRefusedWithoutRoute(request: FastifyRequest, err: AppError): boolean {
  return request.is404 && (err.key === 'MALFORMED_BODY' || err.key === 'UNSUPPORTED_CONTENT_TYPE');
}
