import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, sessionCookie, sessionCookieOf } from './cookies.js';

const withCookie = (cookie: string | undefined) => ({ headers: { cookie } }) as unknown as FastifyRequest;
const ID = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';

describe('the console session cookie', () => {
  it('is found among other cookies', () => {
    expect(sessionCookieOf(withCookie(`a=1; switchboard_console=${ID}; b=2`))).toBe(ID);
    expect(sessionCookieOf(withCookie(`switchboard_console=${ID}`))).toBe(ID);
  });

  it('is ignored when absent or not shaped like our ids', () => {
    expect(sessionCookieOf(withCookie(undefined))).toBeNull();
    expect(sessionCookieOf(withCookie('other=1'))).toBeNull();
    expect(sessionCookieOf(withCookie('switchboard_console=short'))).toBeNull();
    expect(sessionCookieOf(withCookie('switchboard_console=has space in it here and more'))).toBeNull();
    expect(sessionCookieOf(withCookie(`switchboard_console=${'x'.repeat(9000)}`))).toBeNull();
  });

  it('is httpOnly and SameSite=Strict for the whole server, Secure over HTTPS', () => {
    expect(sessionCookie(ID, 60, false)).toBe(`switchboard_console=${ID}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60`);
    expect(sessionCookie(ID, 60, true)).toBe(`switchboard_console=${ID}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure`);
    expect(clearedSessionCookie(true)).toBe('switchboard_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
  });
});
