import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, sessionCookie, sessionCookieOf } from './cookies.js';

const withCookie = (cookie: string | undefined) => ({ headers: { cookie } }) as unknown as FastifyRequest;
const ID = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';

describe('the console session cookie', () => {
  it('is found among other cookies', () => {
    expect(sessionCookieOf(withCookie(`a=1; switchboard_console=${ID}; b=2`), false)).toBe(ID);
    expect(sessionCookieOf(withCookie(`switchboard_console=${ID}`), false)).toBe(ID);
    expect(sessionCookieOf(withCookie(`a=1; __Host-switchboard_console=${ID}`), true)).toBe(ID);
  });

  it('over HTTPS is only the __Host- one, which no other host nor plain HTTP can set', () => {
    expect(sessionCookieOf(withCookie(`switchboard_console=${ID}`), true)).toBeNull();
    expect(sessionCookieOf(withCookie(`switchboard_console=${ID}x; __Host-switchboard_console=${ID}`), true)).toBe(ID);
    expect(sessionCookieOf(withCookie(`__Host-switchboard_console=${ID}`), false)).toBeNull();
  });

  it('is ignored when absent or not shaped like our ids', () => {
    expect(sessionCookieOf(withCookie(undefined), false)).toBeNull();
    expect(sessionCookieOf(withCookie('other=1'), false)).toBeNull();
    expect(sessionCookieOf(withCookie('switchboard_console=short'), false)).toBeNull();
    expect(sessionCookieOf(withCookie('switchboard_console=has space in it here and more'), false)).toBeNull();
    expect(sessionCookieOf(withCookie(`switchboard_console=${'x'.repeat(9000)}`), false)).toBeNull();
  });

  it('is httpOnly and SameSite=Strict for the whole server, Secure and __Host- named over HTTPS', () => {
    expect(sessionCookie(ID, 60, false)).toBe(`switchboard_console=${ID}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60`);
    expect(sessionCookie(ID, 60, true)).toBe(`__Host-switchboard_console=${ID}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure`);
    expect(clearedSessionCookie(false)).toBe('switchboard_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    expect(clearedSessionCookie(true)).toBe('__Host-switchboard_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
  });
});
