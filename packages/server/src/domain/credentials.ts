/**
 * API tokens and signing keys. Tokens are random, high-entropy secrets, so a SHA-256 digest is the
 * right storage form (a slow password hash adds nothing against 192-bit secrets); comparisons are
 * constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a token may do. */
export const TOKEN_SCOPES = ['messaging', 'numbers', 'management'] as const;
/** One token scope. */
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** True when the value is a known scope. */
export function isTokenScope(value: string): value is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(value);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

/** A new API token: `PT` and 48 random characters. */
export function generateApiToken(): string {
  return `PT${randomToken(48)}`;
}

/** A new webhook signing key: `PSK_` and 24 random characters. */
export function generateSigningKey(): string {
  return `PSK_${randomToken(24)}`;
}

/** The stored form of a token. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of a presented token's digest with a stored one. */
export function tokenDigestMatches(presented: Buffer, stored: Buffer): boolean {
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** The first characters of a token, kept in clear to let people tell tokens apart. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 8);
}
