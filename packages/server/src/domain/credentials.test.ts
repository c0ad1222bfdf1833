import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { generateApiToken, generateSigningKey, hashToken, isTokenScope, TOKEN_SCOPES, tokenDigestMatches, tokenPrefix } from './credentials.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

describe('API tokens', () => {
  it('look like PT followed by 48 letters and digits', () => {
    for (let i = 0; i < 50; i++) expect(generateApiToken()).toMatch(/^PT[A-Za-z0-9]{48}$/);
  });

  it('are different every time', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateApiToken));
    expect(tokens.size).toBe(1000);
  });

  it('use the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, () => generateApiToken().slice(2)).join(''));
    expect(seen.size).toBe(62);
  });

  it('are kept as their SHA-256 digest', () => {
    // Known vector: SHA-256("abc").
    expect(hashToken('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const t = generateApiToken();
    expect(hashToken(t)).toHaveLength(32);
    expect(hashToken(t).equals(hashToken(t))).toBe(true);
    expect(hashToken(t).equals(hashToken(`${t}x`))).toBe(false);
  });

  it('hash UTF-8 text', () => {
    expect(hashToken('é').toString('hex')).toBe(crypto.createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  });

  it('show only their first 8 characters as a prefix', () => {
    expect(tokenPrefix('PTabcdefghijkl')).toBe('PTabcdef');
    expect(tokenPrefix('PT1')).toBe('PT1');
  });
});

describe('tokenDigestMatches', () => {
  it('matches equal digests and nothing else', () => {
    const d = hashToken('secret');
    expect(tokenDigestMatches(hashToken('secret'), d)).toBe(true);
    expect(tokenDigestMatches(hashToken('Secret'), d)).toBe(false);
  });

  it('refuses digests of another length without throwing', () => {
    const d = hashToken('secret');
    expect(tokenDigestMatches(d.subarray(0, 31), d)).toBe(false);
    expect(tokenDigestMatches(Buffer.alloc(0), d)).toBe(false);
    expect(tokenDigestMatches(Buffer.concat([d, Buffer.from([0])]), d)).toBe(false);
  });

  it('compares in constant time', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const d = hashToken('secret');
    tokenDigestMatches(hashToken('other'), d);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe('signing keys', () => {
  it('look like PSK_ followed by 24 letters and digits, different every time', () => {
    const keys = Array.from({ length: 200 }, generateSigningKey);
    for (const k of keys) expect(k).toMatch(/^PSK_[A-Za-z0-9]{24}$/);
    expect(new Set(keys).size).toBe(200);
  });
});

describe('token scopes', () => {
  it('know messaging, numbers and management only', () => {
    expect([...TOKEN_SCOPES]).toEqual(['messaging', 'numbers', 'management']);
    for (const s of TOKEN_SCOPES) expect(isTokenScope(s)).toBe(true);
    for (const s of ['admin', 'Messaging', '', 'messaging ']) expect(isTokenScope(s)).toBe(false);
  });
});
