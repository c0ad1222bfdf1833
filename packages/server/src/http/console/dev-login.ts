/**
 * The one-click dev login. It is offered only when the server runs on its zero-config defaults:
 *
 * 1. the HTTP listener is bound to a loopback address (`127.0.0.0/8`, `::1` or `localhost`), and
 * 2. no API token was configured (`bootstrap.apiToken` / `SWITCHBOARD_API_TOKEN` / `--api-token`
 *    unset: the token was generated and printed at first start), and
 * 3. `console.devLogin` is not turned off.
 *
 * Each request must then also reach the server at a loopback host name (the Host header is
 * `localhost`, `127.x.x.x` or `[::1]`, which defeats DNS rebinding: a web page whose own name
 * resolves to 127.0.0.1 sends its own name) from a loopback address, and not through a proxy (no
 * `Forwarded` / `X-Forwarded-*` / `X-Real-IP`: a local tunnel). It opens a session for the
 * project created at start, with every scope. It can never be on for a non-loopback bind.
 */
import type { FastifyRequest } from 'fastify';

/** Whether dev login is on, and for which project. */
export interface DevLoginPolicy {
  readonly enabled: boolean;
  readonly projectId: string | null;
}

/** True for a loopback IP literal or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h.replace(/^::ffff:/, ''));
  return !!v4 && v4.slice(1).every((o) => Number(o) <= 255);
}

/** The policy for a server's settings. */
export function devLoginPolicy(settings: { host: string; apiToken: string | null; consoleDevLogin: boolean }, projectId: string | null): DevLoginPolicy {
  const enabled = settings.consoleDevLogin && settings.apiToken === null && isLoopbackHost(settings.host) && projectId !== null;
  return { enabled, projectId: enabled ? projectId : null };
}

/** The host name of a Host header value (without port). */
function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(header.trim());
  return m ? m[1]! : null;
}

/**
 * Headers a proxy adds to what it forwards. A tunnel on this machine that publishes the server (ngrok,
 * cloudflared, often run to receive a carrier's webhooks) connects from loopback, and some rewrite
 * Host to `localhost` (ngrok's `--host-header=rewrite`): without this check anyone on the Internet
 * got the dev login's session. A browser on this machine talking to the server sends none of them.
 */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-original-host', 'x-real-ip'];

/** True when this request may use the dev login under the policy. */
export function devLoginAllowed(policy: DevLoginPolicy, request: FastifyRequest): boolean {
  if (!policy.enabled) return false;
  if (PROXY_HEADERS.some((h) => request.headers[h] !== undefined)) return false;
  const name = hostName(request.headers.host);
  const remote = request.socket.remoteAddress ?? '';
  return name !== null && isLoopbackHost(name) && isLoopbackHost(remote);
}
