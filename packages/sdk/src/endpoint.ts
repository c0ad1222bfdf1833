/**
 * Where the server is: a `host` option (host name with optional port, or a full URL) turned into
 * the RELAY WebSocket URL and the REST base URL. A bare loopback host (`localhost`, `127.x.x.x`,
 * `[::1]`) means plain `ws://` / `http://` — what `npm start` serves; any other bare host means
 * TLS, as SignalWire spaces do.
 */

/** The default when neither `host` nor `SIGNALWIRE_SPACE` is given: a local Switchboard. */
export const DEFAULT_HOST = '127.0.0.1:8080';

function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]!;
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Both URLs of a server. */
export interface Endpoint {
  /** `ws://host:port/` or `wss://host/`. */
  readonly relayUrl: string;
  /** `http://host:port` or `https://host` (no trailing slash). */
  readonly restUrl: string;
}

/** Resolve a `host` option; throws `TypeError` for something that is neither a host nor a URL. */
export function resolveEndpoint(host: string): Endpoint {
  const h = host.trim();
  const m = /^(wss?|https?):\/\/([^/?#\s]+)\/?$/i.exec(h);
  if (m) {
    const scheme = m[1]!.toLowerCase();
    const tls = scheme === 'wss' || scheme === 'https';
    return { relayUrl: `${tls ? 'wss' : 'ws'}://${m[2]}/`, restUrl: `${tls ? 'https' : 'http'}://${m[2]}` };
  }
  if (h === '' || /[/@?#\s]/.test(h)) {
    throw new TypeError(`Invalid host ${JSON.stringify(host)}: give a host name with an optional port (example.signalwire.com, 127.0.0.1:8080) or a ws://, wss://, http:// or https:// URL.`);
  }
  const tls = !isLoopback(h);
  return { relayUrl: `${tls ? 'wss' : 'ws'}://${h}/`, restUrl: `${tls ? 'https' : 'http'}://${h}` };
}

/** Read an environment variable where there is an environment (Node), else undefined. */
export function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Credentials and endpoint from options, falling back to SIGNALWIRE_PROJECT_ID, SIGNALWIRE_API_TOKEN and SIGNALWIRE_SPACE. */
export function resolveCredentials(options: { project?: string; token?: string; host?: string }): { project: string; token: string; host: string } {
  const project = options.project ?? env('SIGNALWIRE_PROJECT_ID') ?? '';
  const token = options.token ?? env('SIGNALWIRE_API_TOKEN') ?? '';
  const host = options.host ?? env('SIGNALWIRE_SPACE') ?? DEFAULT_HOST;
  if (!project || !token) {
    throw new TypeError('project and token are required: pass them as options or set SIGNALWIRE_PROJECT_ID and SIGNALWIRE_API_TOKEN.');
  }
  return { project, token, host };
}
