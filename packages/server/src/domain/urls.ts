/**
 * URL rules for media and webhooks: absolute http(s) only, and optionally not pointing at
 * private networks (`url_is_unsafe`).
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/;

/** Parse an absolute http(s) URL; `undefined` for anything else. */
export function parseHttpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname) return undefined;
  return url;
}

/**
 * The networks `isPrivateHost` treats as internal, as data (address, prefix length, family), for
 * checks made where a name has been resolved: the webhook HTTP worker refuses to connect to them
 * when `webhooks.refusePrivateNetworks` is on (`net.BlockList` also matches IPv4-mapped IPv6).
 */
export const PRIVATE_NETWORKS: ReadonlyArray<readonly [address: string, prefix: number, family: 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
];

function isPrivateIpv4(a: number, b: number): boolean {
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

/** True when a URL's host is a loopback, private, link-local or otherwise internal address or name. */
export function isPrivateHost(url: URL): boolean {
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  const v4 = IPV4.exec(host);
  if (v4) return isPrivateIpv4(Number(v4[1]), Number(v4[2]));
  if (host.includes(':')) {
    // IPv4-mapped addresses: the URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      const hi = parseInt(mapped[1]!, 16);
      return isPrivateIpv4(hi >> 8, hi & 0xff);
    }
    // Loopback, unspecified, unique local (fc00::/7) and link-local (fe80::/10).
    return host === '::1' || host === '::' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  }
  return false;
}

/**
 * A URL as shown on a screen: the password of credentials in it (HTTP Basic authentication for a
 * webhook, Twilio's `https://user:password@host/…`) replaced by `***`. Everything else as given.
 */
export function maskPassword(url: string): string {
  const start = url.indexOf('//');
  if (start < 0) return url;
  const end = url.slice(start + 2).search(/[/?#]/);
  const authority = end < 0 ? url.slice(start + 2) : url.slice(start + 2, start + 2 + end);
  const at = authority.lastIndexOf('@');
  if (at < 0) return url;
  const colon = authority.indexOf(':');
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, start + 2)}${authority.slice(0, colon)}:***${url.slice(start + 2 + at)}`;
}
