/**
 * URL rules for media and webhooks: absolute http(s) only, and optionally not pointing at
 * private networks (`url_is_unsafe`).
 */

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Longest URL taken, in UTF-16 code units as given. */
export const MAX_URL_LENGTH = 2048;

/**
 * Longest host name taken, in its ASCII (punycode) form: DNS's limit, so no resolvable host is
 * refused. A URL within MAX_URL_LENGTH can have a far longer one (each CJK character of a host
 * is several punycode letters), which PostgreSQL could not index as a callback's destination.
 */
export const MAX_HOSTNAME_LENGTH = 253;

/** Longest label of a host name (RFC 1035 §2.3.4): a longer one, or an empty one (`a..b`), cannot be resolved. */
export const MAX_LABEL_LENGTH = 63;

/** What `parseHttpUrl` takes, said in the errors of every field it checks. */
export const HTTP_URL_RULE = `an absolute http or https URL of at most ${MAX_URL_LENGTH} characters, its host name at most ${MAX_HOSTNAME_LENGTH} characters in labels of at most ${MAX_LABEL_LENGTH}`;

/**
 * What a URL parser would silently drop from a URL: spaces and controls around it, tabs and line
 * breaks in it (WHATWG URL). Refused wherever a URL is taken (media, status callbacks, a number's
 * or a cXML application's webhooks), not trimmed: " http://x/" would pass `parseHttpUrl` and be
 * kept and shown as given, and Twilio refuses a URL that does not begin with http:// or https://.
 */
export function untrimmedUrl(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && (value[0]! <= ' ' || value[value.length - 1]! <= ' ' || /[\t\n\r]/.test(value));
}

/** How every field's error says `untrimmedUrl`, after the field's name and value. */
export const UNTRIMMED_URL_PROBLEM = 'has spaces or control characters around it (or a tab or line break in it): send the URL alone';

/** Whether a URL's host can name something: an IP literal, or a name of labels of 1 to 63 characters (a trailing dot aside). */
function isNameableHost(hostname: string): boolean {
  if (hostname.startsWith('[') || IPV4.test(hostname)) return true;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  return name.split('.').every((label) => label.length >= 1 && label.length <= MAX_LABEL_LENGTH);
}

/**
 * Parse an absolute http(s) URL of at most MAX_URL_LENGTH characters whose host name is at most
 * MAX_HOSTNAME_LENGTH, of labels of at most MAX_LABEL_LENGTH, on a port other than 0 (none of
 * those can be reached: refused here, not failing every delivery later); `undefined` for anything else.
 */
export function parseHttpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname || url.hostname.length > MAX_HOSTNAME_LENGTH || !isNameableHost(url.hostname) || url.port === '0') return undefined;
  return url;
}

/**
 * The networks treated as internal, as data (address, prefix length, family): `isPrivateHost`
 * checks IPv4 hosts against them (IPv6 ones by their prefixes' patterns), and the webhook HTTP
 * worker refuses to connect to them where a name has been resolved when
 * `webhooks.refusePrivateNetworks` is on (`net.BlockList` also matches IPv4-mapped IPv6).
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

/**
 * Where no webhook connects, whatever `webhooks.refusePrivateNetworks` says: link-local networks
 * and the addresses cloud providers serve instance metadata on (169.254.169.254, AWS's
 * fd00:ec2::254, Alibaba's 100.100.100.200), which hand out the machine's credentials to any GET. A webhook's
 * answer is shown to the project (the attempt log's excerpt), so a callback URL pointing there
 * let any tenant read them; local development calls back to loopback or its LAN, never there.
 */
export const ALWAYS_REFUSED_NETWORKS: typeof PRIVATE_NETWORKS = [
  ['169.254.0.0', 16, 'ipv4'],
  ['100.100.100.200', 32, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
  ['fd00:ec2::254', 128, 'ipv6'],
];

/** The IPv4 networks of `PRIVATE_NETWORKS` as 32-bit base and mask. */
const PRIVATE_IPV4 = PRIVATE_NETWORKS.filter(([, , family]) => family === 'ipv4').map(([address, prefix]) => {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipv4Number(address) & mask) >>> 0, mask };
});

function ipv4Number(dotted: string): number {
  return dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function isPrivateIpv4(n: number): boolean {
  return PRIVATE_IPV4.some(({ base, mask }) => (n & mask) >>> 0 === base);
}

/** True when a URL's host is a loopback, private, link-local or otherwise internal address or name. */
export function isPrivateHost(url: URL): boolean {
  let host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return true;
  if (IPV4.test(host)) return isPrivateIpv4(ipv4Number(host));
  if (host.includes(':')) {
    // IPv4-mapped addresses: the URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      return isPrivateIpv4(parseInt(mapped[1]!, 16) * 0x10000 + parseInt(mapped[2]!, 16));
    }
    // Loopback, unspecified, unique local (fc00::/7) and link-local (fe80::/10).
    return host === '::1' || host === '::' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  }
  return false;
}

/** Where a URL's user information is: from just after `//` to its `@`; undefined when it has none. */
function userinfoSpan(url: string): { from: number; at: number } | undefined {
  // Most URLs have no `@` at all (this runs for every webhook request).
  if (!url.includes('@')) return undefined;
  const start = url.indexOf('//');
  if (start < 0) return undefined;
  const from = start + 2;
  const end = url.slice(from).search(/[/?#]/);
  const at = url.lastIndexOf('@', (end < 0 ? url.length : from + end) - 1);
  return at >= from ? { from, at } : undefined;
}

function decodeOrKeep(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The credentials of a URL (`https://user:password@host/…`) taken out: the URL without them, the
 * rest exactly as given, and the percent-decoded user and password; undefined when it has none.
 */
export function splitUserinfo(url: string): { url: string; user: string; password: string } | undefined {
  const span = userinfoSpan(url);
  if (!span) return undefined;
  const userinfo = url.slice(span.from, span.at);
  const colon = userinfo.indexOf(':');
  return {
    url: url.slice(0, span.from) + url.slice(span.at + 1),
    user: decodeOrKeep(colon < 0 ? userinfo : userinfo.slice(0, colon)),
    password: colon < 0 ? '' : decodeOrKeep(userinfo.slice(colon + 1)),
  };
}

/**
 * A URL as shown on a screen: the password of credentials in it (HTTP Basic authentication for a
 * webhook, Twilio's `https://user:password@host/…`) replaced by `***`. Everything else as given.
 */
export function maskPassword(url: string): string {
  const span = userinfoSpan(url);
  if (!span) return url;
  const colon = url.indexOf(':', span.from);
  if (colon < 0 || colon > span.at) return url;
  return `${url.slice(0, colon)}:***${url.slice(span.at)}`;
}
