import { MAX_HOSTNAME_LENGTH } from '../domain/urls.js';
import type { FastifyRequest } from 'fastify';
import { originForm } from './request-path.js';

/**
 * The URL clients reach this server at: the configured public URL, else the request's own host —
 * or, with no Host header (HTTP/1.0) or one that is no bare URL authority (`[::1`, `a:99999`, or
 * more than one: `x/y`, `x?y`, `x#y`, `user@x`), the address the request came in on, so links built
 * on it never fail the request nor point at a path, query or fragment the client's Host smuggled in.
 */
export function baseUrl(request: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const own = request.host ? authorityOrigin(request.protocol, request.host) : null;
  if (own !== null) return own;
  const { localAddress, localPort } = request.socket;
  const address = localAddress === undefined ? 'localhost' : localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  return `${request.protocol}://${address}:${localPort}`;
}

/** `scheme://host[:port]` for a Host that is a URL authority and nothing else (RFC 9110 §7.2: uri-host [":" port]), else null. */
function authorityOrigin(protocol: string, host: string): string | null {
  const text = `${protocol}://${host}`;
  if (!URL.canParse(text)) return null;
  const url = new URL(text);
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.hostname.length > MAX_HOSTNAME_LENGTH) return null;
  return url.origin;
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
