import { describe, expect, it } from 'vitest';
import { resolveEndpoint } from './endpoint.js';

describe('resolveEndpoint', () => {
  it.each([
    ['127.0.0.1:8080', 'ws://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['localhost', 'ws://localhost/', 'http://localhost'],
    ['[::1]:9000', 'ws://[::1]:9000/', 'http://[::1]:9000'],
    ['example.signalwire.com', 'wss://example.signalwire.com/', 'https://example.signalwire.com'],
    ['relay.example.com:8443', 'wss://relay.example.com:8443/', 'https://relay.example.com:8443'],
    ['ws://10.0.0.5:8080', 'ws://10.0.0.5:8080/', 'http://10.0.0.5:8080'],
    ['wss://sb.example.com/', 'wss://sb.example.com/', 'https://sb.example.com'],
    ['http://127.0.0.1:3000', 'ws://127.0.0.1:3000/', 'http://127.0.0.1:3000'],
  ])('%s → %s and %s', (host, relayUrl, restUrl) => {
    expect(resolveEndpoint(host)).toEqual({ relayUrl, restUrl });
  });

  it.each(['', 'user@host', 'host/path', 'host?x=1', 'a b', 'ftp://x'])('refuses %j', (host) => {
    expect(() => resolveEndpoint(host)).toThrow(TypeError);
  });
});
