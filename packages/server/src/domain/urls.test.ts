import { describe, expect, it } from 'vitest';
import { BlockList } from 'node:net';
import { isPrivateHost, maskPassword, parseHttpUrl, PRIVATE_NETWORKS } from './urls.js';

const host = (url: string) => isPrivateHost(new URL(url));

describe('parseHttpUrl', () => {
  it.each(['http://example.com', 'https://example.com/a/b?c=d#e', 'https://user:pw@example.com:8443/x', 'http://[2001:db8::1]/'])('parses %s', (v) => {
    expect(parseHttpUrl(v)?.href).toBe(new URL(v).href);
  });

  it.each(['ftp://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@example.com', '/relative', 'example.com', 'http://', '', 'https://exa mple.com'])('refuses %j', (v) => {
    expect(parseHttpUrl(v)).toBeUndefined();
  });

  it.each([undefined, null, 42, {}, ['http://example.com']])('refuses the non-string %j', (v) => {
    expect(parseHttpUrl(v)).toBeUndefined();
  });

  it('accepts URLs up to 2048 characters and refuses longer ones', () => {
    const base = 'https://example.com/';
    expect(parseHttpUrl(base + 'a'.repeat(2048 - base.length))).toBeDefined();
    expect(parseHttpUrl(base + 'a'.repeat(2049 - base.length))).toBeUndefined();
  });

  it('refuses a host name over 253 characters (DNS\'s limit) in its ASCII form, even within 2048 characters', () => {
    const labels = (n: number, label: string) => Array.from({ length: n }, () => label).join('.');
    expect(parseHttpUrl(`https://${labels(4, 'a'.repeat(62))}.b/`)?.hostname).toHaveLength(253);
    expect(parseHttpUrl(`https://${labels(4, 'a'.repeat(62))}.bc/`)).toBeUndefined();
    // 1,900 characters whose punycode form is some 6,000: too long for PostgreSQL to index as a callback's destination.
    const cjk = `https://${labels(95, '\u4e2d\u6587\u7db2\u7d61\u4f8b\u5b50\u6e2c\u8a66\u9577\u540d\u7a31\u4e3b\u6a5f\u540d\u7a31\u8d85\u9577\u6e2c\u8a66\u7528')}.com/cb`;
    expect(cjk.length).toBeLessThan(2048);
    expect(new URL(cjk).hostname.length).toBeGreaterThan(2704);
    expect(parseHttpUrl(cjk)).toBeUndefined();
  });

  it('refuses a host no DNS name can be (a label over 63 characters, also in its punycode form, or an empty one) and port 0', () => {
    expect(parseHttpUrl(`https://${'a'.repeat(63)}.example/`)).toBeDefined();
    expect(parseHttpUrl(`https://${'a'.repeat(64)}.example/`)).toBeUndefined();
    // 60 characters whose punycode label is 66.
    expect(parseHttpUrl(`https://${'\u00fc'.repeat(60)}.example/`)).toBeUndefined();
    expect(parseHttpUrl(`https://${'\u00fc'.repeat(20)}.example/`)).toBeDefined();
    for (const v of ['https://a..example/', 'https://.example/', 'https://example..', 'https://example.com:0/']) expect(parseHttpUrl(v), v).toBeUndefined();
    // A fully qualified name's trailing dot, IP literals and explicit ports stay.
    for (const v of ['https://example.com./cb', 'http://192.0.2.1:8080/', 'http://[2001:db8::1]:80/', 'https://example.com:1/']) expect(parseHttpUrl(v), v).toBeDefined();
  });
});

describe('isPrivateHost', () => {
  it.each([
    'http://localhost/',
    'http://LOCALHOST:8080/',
    'http://api.localhost/',
    'http://printer.local/',
    'http://db.internal/',
    'http://127.0.0.1/',
    'http://127.8.9.10/',
    'http://10.0.0.1/',
    'http://0.0.0.0/',
    'http://169.254.169.254/latest/meta-data',
    'http://172.16.0.1/',
    'http://172.31.255.255/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://100.127.255.255/',
  ])('flags %s', (url) => {
    expect(host(url)).toBe(true);
  });

  it.each(['http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/', 'http://127.0.0.1./'])('flags the loopback address written as %s', (url) => {
    expect(host(url)).toBe(true);
  });

  it.each(['http://[::1]/', 'http://[::]/', 'http://[fc00::1]/', 'http://[FD12:3456::1]/', 'http://[fe80::1]/', 'http://[fe80::abcd]/'])('flags the IPv6 address %s', (url) => {
    expect(host(url)).toBe(true);
  });

  it.each([
    'https://example.com/',
    'http://8.8.8.8/',
    'http://172.15.255.255/',
    'http://172.32.0.1/',
    'http://100.63.255.255/',
    'http://100.128.0.1/',
    'http://169.253.1.1/',
    'http://192.169.0.1/',
    'http://11.0.0.1/',
    'http://localhost.example.com/',
    'http://local/',
    'http://[2001:db8::1]/',
    'http://[2606:4700:4700::1111]/',
    'http://fcdn.example.com/',
  ])('lets %s through', (url) => {
    expect(host(url)).toBe(false);
  });

  // BUG (domain/urls.ts isPrivateHost): the WHATWG URL parser writes IPv4-mapped IPv6 addresses in hex
  // (`[::ffff:127.0.0.1]` becomes `[::ffff:7f00:1]`), so the `::ffff:127.` / `::ffff:10.` /
  // `::ffff:192.168.` checks never match, and mapped 169.254/16, 172.16/12 and 100.64/10 are not
  // checked at all: every IPv4-mapped private address passes as public.
  it.each(['http://[::ffff:127.0.0.1]/', 'http://[::ffff:10.0.0.1]/', 'http://[::ffff:192.168.1.1]/', 'http://[::ffff:169.254.169.254]/', 'http://[::ffff:172.16.0.1]/', 'http://[::ffff:7f00:1]/'])(
    'flags the IPv4-mapped private address %s',
    (url) => {
      expect(host(url)).toBe(true);
    },
  );

  // BUG (domain/urls.ts isPrivateHost): a fully qualified name with a trailing dot is not normalised,
  // so `localhost.` (which resolves to loopback) passes as public.
  it('flags localhost written with a trailing dot', () => {
    expect(host('http://localhost./')).toBe(true);
  });

  // BUG (domain/urls.ts isPrivateHost): link-local IPv6 is fe80::/10 (fe80:: to febf::), but only the
  // `fe80` prefix is checked.
  it('flags the whole IPv6 link-local range', () => {
    expect(host('http://[febf::1]/')).toBe(true);
  });
});

describe('maskPassword', () => {
  it('hides the password of credentials in a URL, and nothing else', () => {
    expect(maskPassword('https://user:s3cret@example.com:8443/cb?x=a:b@c#rt=100')).toBe('https://user:***@example.com:8443/cb?x=a:b@c#rt=100');
    expect(maskPassword('http://user@example.com/cb')).toBe('http://user@example.com/cb');
    expect(maskPassword('http://example.com/a:b@c')).toBe('http://example.com/a:b@c');
    expect(maskPassword('https://example.com:8443/cb')).toBe('https://example.com:8443/cb');
  });
});

describe('PRIVATE_NETWORKS', () => {
  it('holds exactly the addresses isPrivateHost flags, for the resolved-address check', () => {
    const list = new BlockList();
    for (const [address, prefix, family] of PRIVATE_NETWORKS) list.addSubnet(address, prefix, family);
    const inList = (a: string) => list.check(a, a.includes(':') ? 'ipv6' : 'ipv4');
    const flagged = (a: string) => host(a.includes(':') ? `http://[${a}]/` : `http://${a}/`);
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fc00::1', 'fd12::1', 'fe80::1', 'febf::1']) {
      expect([a, inList(a), flagged(a)]).toEqual([a, true, true]);
    }
    for (const a of ['11.0.0.1', '172.32.0.1', '192.169.0.1', '100.128.0.1', '8.8.8.8', '2001:db8::1', 'fec0::1']) {
      expect([a, inList(a), flagged(a)]).toEqual([a, false, false]);
    }
  });
});
