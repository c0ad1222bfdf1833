import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { devLoginAllowed, devLoginPolicy, isLoopbackHost } from './dev-login.js';

const zeroConfig = { host: '127.0.0.1', apiToken: null, consoleDevLogin: true };
const request = (host: string | undefined, remote: string) => ({ headers: { host }, socket: { remoteAddress: remote } }) as unknown as FastifyRequest;

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])('takes %s as loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', '128.0.0.1', '127.0.0.256', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io', ''])('does not take %s as loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('devLoginPolicy', () => {
  it('is on for the zero-config defaults: a loopback bind and no configured API token', () => {
    expect(devLoginPolicy(zeroConfig, 'p1')).toEqual({ enabled: true, projectId: 'p1' });
    expect(devLoginPolicy({ ...zeroConfig, host: 'localhost' }, 'p1').enabled).toBe(true);
    expect(devLoginPolicy({ ...zeroConfig, host: '::1' }, 'p1').enabled).toBe(true);
  });

  it.each(['0.0.0.0', '::', '192.168.1.5', 'switchboard.example.com'])('is never on for a non-loopback bind (%s), even with nothing else configured', (host) => {
    expect(devLoginPolicy({ ...zeroConfig, host }, 'p1')).toEqual({ enabled: false, projectId: null });
  });

  it('is off when an API token is configured, or when turned off', () => {
    expect(devLoginPolicy({ ...zeroConfig, apiToken: 'PTsomething' }, 'p1').enabled).toBe(false);
    expect(devLoginPolicy({ ...zeroConfig, consoleDevLogin: false }, 'p1').enabled).toBe(false);
    expect(devLoginPolicy(zeroConfig, null).enabled).toBe(false);
  });
});

describe('devLoginAllowed', () => {
  const policy = devLoginPolicy(zeroConfig, 'p1');

  it('allows a request that names a loopback host and comes from loopback', () => {
    expect(devLoginAllowed(policy, request('127.0.0.1:8080', '127.0.0.1'))).toBe(true);
    expect(devLoginAllowed(policy, request('localhost:8080', '::1'))).toBe(true);
    expect(devLoginAllowed(policy, request('[::1]:8080', '::ffff:127.0.0.1'))).toBe(true);
  });

  it('refuses a request for another host name (DNS rebinding), without a Host, or from elsewhere', () => {
    expect(devLoginAllowed(policy, request('attacker.example:8080', '127.0.0.1'))).toBe(false);
    expect(devLoginAllowed(policy, request(undefined, '127.0.0.1'))).toBe(false);
    expect(devLoginAllowed(policy, request('127.0.0.1:8080', '192.168.1.9'))).toBe(false);
  });

  it('refuses everything when the policy is off', () => {
    expect(devLoginAllowed({ enabled: false, projectId: null }, request('127.0.0.1:8080', '127.0.0.1'))).toBe(false);
  });
});
