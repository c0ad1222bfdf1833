/**
 * A client's address as limits key it (connections, failed authentications, RELAY bytes per
 * address): IPv4 clients reaching an IPv6 (dual-stack) listener appear as `::ffff:a.b.c.d`, which
 * must count as `a.b.c.d`; an IPv6 client counts as its /64 network. A host is given a whole /64
 * and picks its addresses from it at will (privacy addresses change by themselves), so keyed by
 * address one client could open 256 connections, and guess 20 tokens, from each of 2^64 of them.
 * Loopback and link-local addresses stay whole: every host on a link shares fe80::/64.
 */
export function clientAddressKey(remoteAddress: string | undefined): string {
  const address = remoteAddress ?? '';
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  return address.includes(':') ? (ipv6Network64(address) ?? address) : address;
}

/**
 * The IPv6 site a client's address belongs to, its /48 (`2001:db8:1::/48`), for limits on its
 * /64s together: a site is routed a /48 (a home often a /56), so one client holding one could open
 * the per-address share from each of up to 65,536 /64s. Undefined for IPv4, loopback, link-local.
 */
export function clientNetworkKey(remoteAddress: string | undefined): string | undefined {
  const words = globalIpv6Words(remoteAddress ?? '');
  return words ? `${words.slice(0, 3).map((w) => w.toString(16)).join(':')}::/48` : undefined;
}

/** `2001:db8:1:2::/64` for any address of that network; undefined for loopback, link-local and forms not handled. */
function ipv6Network64(address: string): string | undefined {
  const words = globalIpv6Words(address);
  return words ? `${words.slice(0, 4).map((w) => w.toString(16)).join(':')}::/64` : undefined;
}

/** The eight 16-bit words of an IPv6 address that is neither loopback nor link-local; undefined otherwise (IPv4, mapped, forms not handled). */
function globalIpv6Words(address: string): number[] | undefined {
  const bare = address.split('%')[0]!.toLowerCase();
  if (bare.includes('.')) return undefined;
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const words = groups.map((g) => parseInt(g, 16));
  const isLoopback = words.slice(0, 7).every((w) => w === 0) && words[7] === 1;
  const isLinkLocal = (words[0]! & 0xffc0) === 0xfe80;
  return isLoopback || isLinkLocal ? undefined : words;
}
