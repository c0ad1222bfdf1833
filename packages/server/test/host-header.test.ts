/**
 * Lists answer absolute `links` built from the request's host. A request with no Host header
 * (HTTP/1.0) or one that is no URL authority gets its links on the address it came in on, not a 500.
 * A request target in absolute form (`GET http://elsewhere/…`) moves no link to its host: links stay
 * on the Host header, or on the configured public URL.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let behindProxy: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  behindProxy = await startTestServer({ publicUrl: 'https://sms.example.com' });
});
afterAll(async () => {
  await server?.stop();
  await behindProxy?.stop();
});

/** One raw request on its own connection (no client to fix its Host header); resolves with the status and body. */
function raw(path: string, host: string | null, version = '1.1', to: TestServer = server): Promise<{ status: number; body: string }> {
  const { port } = new URL(to.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body });
    });
    const hostLine = host === null ? '' : `Host: ${host}\r\n`;
    socket.write(`GET ${path} HTTP/${version}\r\n${hostLine}Authorization: ${to.auth}\r\nConnection: close\r\n\r\n`);
  });
}

const LISTS = ['/api/messaging/logs', '/api/messaging/opt_outs', '/api/relay/rest/phone_numbers', '/api/relay/rest/number_groups'];

describe('list links without a usable Host header', () => {
  for (const path of LISTS) {
    it(`${path}: a Host that is no URL authority, and none at all over HTTP/1.0`, async () => {
      for (const [host, version] of [['[::1', '1.1'], ['a:99999', '1.1'], [null, '1.0']] as const) {
        const res = await raw(path, host, version);
        expect(res.status, `${host} ${res.body}`).toBe(200);
        // Chunked or not, the links are in the body on the address the request came in on.
        expect(res.body).toContain(`"self":"http://127.0.0.1:${new URL(server.url).port}${path}`);
      }
    });
  }

  it('builds no link on a Host that carries more than an authority (a path, query, fragment, user or an overlong name), nor the RELAY endpoint of /', async () => {
    const own = `127.0.0.1:${new URL(server.url).port}`;
    for (const host of ['sms.example.com/evil', 'sms.example.com?x=1', 'sms.example.com#x', 'user@sms.example.com', `${'a'.repeat(60)}.`.repeat(5)]) {
      const res = await raw('/api/messaging/logs?page_size=1', host);
      expect(res.status, host).toBe(200);
      expect(res.body, host).toContain(`"self":"http://${own}/api/messaging/logs?page_size=1"`);
      const banner = await raw('/', host);
      expect(banner.body, host).toContain(`"relay":"ws://${own}/"`);
    }
    expect((await raw('/', 'sms.example.com:8080')).body).toContain('"relay":"ws://sms.example.com:8080/"');
  });

  it('still builds links on a good Host header', async () => {
    const res = await raw('/api/messaging/logs', 'sms.example.com:8080');
    expect(res.status).toBe(200);
    expect(res.body).toContain('"self":"http://sms.example.com:8080/api/messaging/logs');
  });
});

describe('a request target in absolute form', () => {
  for (const path of LISTS) {
    it(`${path}: links stay on the Host header, and on the public URL when one is configured`, async () => {
      const own = await raw(`http://evil.example${path}?page_size=1`, 'sms.example.com:8080');
      expect(own.status, own.body).toBe(200);
      expect(own.body).toContain(`"self":"http://sms.example.com:8080${path}?page_size=1"`);
      expect(own.body).not.toContain('evil.example');
      const proxied = await raw(`http://evil.example${path}?page_size=1`, 'x', '1.1', behindProxy);
      expect(proxied.status, proxied.body).toBe(200);
      expect(proxied.body).toContain(`"self":"https://sms.example.com${path}?page_size=1"`);
      expect(proxied.body).not.toContain('evil.example');
    });
  }
});

describe('a request with more than one Host', () => {
  it('is answered 400 in the shape of its API (RFC 9112 §3.2), not served with links on the first', async () => {
    const native = await raw('/api/messaging/logs', 'a.example\r\nHost: b.example');
    expect(native.status).toBe(400);
    expect(JSON.parse(native.body)).toEqual({ error: 'Bad Request', message: 'Host was given more than once: a request names one host (RFC 9112 §3.2).' });
    const compat = await raw(`/2010-04-01/Accounts/${server.projectId}/Messages.json`, 'a.example\r\nhost: a.example');
    expect(compat.status).toBe(400);
    expect(JSON.parse(compat.body)).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining('Host was given more than once') });
    // One Host, or none, is served as before.
    expect((await raw('/api/messaging/logs', 'a.example')).status).toBe(200);
    expect((await raw('/api/messaging/logs', null)).status).toBe(200);
  });
});
