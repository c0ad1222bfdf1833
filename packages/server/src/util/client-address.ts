/**
 * A client's address as limits key it: IPv4 clients reaching an IPv6 (dual-stack) listener appear
 * as `::ffff:a.b.c.d`, which must count as `a.b.c.d`.
 */
export function clientAddressKey(remoteAddress: string | undefined): string {
  const address = remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
