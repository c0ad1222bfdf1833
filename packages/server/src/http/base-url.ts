import type { FastifyRequest } from 'fastify';
import { originForm } from './request-path.js';

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

/**
 * The request's own URL on `baseUrl` (a list's `self` link, which its other links are built from):
 * its path and query only. A request target in absolute form (`GET http://elsewhere/api/…`, which
 * HTTP/1.1 servers must accept) names a scheme and host of its own, which `new URL(request.url,
 * base)` would keep over the base — and over a configured public URL.
 */
export function requestUrl(request: FastifyRequest, publicUrl: string | null): URL {
  const target = originForm(request.url);
  const pathAndQuery = target.startsWith('/') ? target : `/${target}`;
  return new URL(`${baseUrl(request, publicUrl)}${pathAndQuery}`);
}
