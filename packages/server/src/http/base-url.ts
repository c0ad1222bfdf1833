import type { FastifyRequest } from 'fastify';

/** The URL clients reach this server at: the configured public URL, else the request's own host. */
export function baseUrl(request: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}
