import type { FastifyRequest } from 'fastify';

/**
 * The URL clients reach this server at: the configured public URL, else the request's own host —
 * or, with no Host header (HTTP/1.0) or one that is no URL authority (`[::1`, `a:99999`), the
 * address the request came in on, so links built on it never fail the request.
 */
export function baseUrl(request: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const own = `${request.protocol}://${request.host}`;
  if (request.host && URL.canParse(own)) return own;
  const { localAddress, localPort } = request.socket;
  const address = localAddress === undefined ? 'localhost' : localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  return `${request.protocol}://${address}:${localPort}`;
}
