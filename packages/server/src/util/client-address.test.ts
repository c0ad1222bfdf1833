import { describe, expect, it } from 'vitest';
import { clientAddressKey, clientNetworkKey } from './client-address.js';

describe('clientAddressKey', () => {
  it('counts an IPv4 address as itself, also mapped into IPv6', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey(undefined)).toBe('');
  });

  it('counts every address of an IPv6 /64 as one client: a host picks its addresses from the whole /64', () => {
    const key = clientAddressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    for (const other of ['2001:db8:1:2:ffff:ffff:ffff:fffe', '2001:0db8:0001:0002:1234:5678:9abc:def0', '2001:DB8:1:2:a::b']) expect(clientAddressKey(other)).toBe(key);
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  });

  it('keeps loopback and link-local addresses whole (every host on a link shares fe80::/64)', () => {
    expect(clientAddressKey('::1')).toBe('::1');
    expect(clientAddressKey('fe80::1')).toBe('fe80::1');
    expect(clientAddressKey('fe80::2%eth0')).toBe('fe80::2%eth0');
    expect(clientAddressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b::192.0.2.1');
  });

  it('gives a global IPv6 address its /48 as its network, and IPv4, loopback and link-local none', () => {
    expect(clientNetworkKey('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    for (const other of ['2001:db8:1:ffff::9', '2001:0DB8:0001:0000:1::1']) expect(clientNetworkKey(other)).toBe('2001:db8:1::/48');
    expect(clientNetworkKey('2001:db8:2::1')).toBe('2001:db8:2::/48');
    for (const none of ['203.0.113.7', '::ffff:203.0.113.7', '::1', 'fe80::1', '64:ff9b::192.0.2.1', undefined]) expect(clientNetworkKey(none)).toBeUndefined();
  });
});
