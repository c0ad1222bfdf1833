/**
 * Hostile and greedy clients on the HTTPS port, held to the same limits as on the plain one:
 * handshakes that never finish (stalled or dripped a byte at a time) are closed after the header
 * timeout and count toward the per-address cap while they last; a TLS client on the plain port,
 * an HTTP/2-only client, TLS 1.0 and 1.1, garbage handshake records and client-initiated
 * renegotiation get clear, bounded refusals; the same bad requests get the same answers over
 * HTTPS as over HTTP (exactly one answer each), RELAY over wss the same JSON-RPC errors as over
 * ws; an answer a TLS client does not read is dropped as on HTTP. Plain HTTP on the HTTPS port:
 * plain-http-on-https.test.ts; a stop closing unfinished handshakes: close-api-servers.test.ts.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerPlainHttp } from '../src/http/plain-http-on-https.js';
import { ServerLimits } from '../src/http/server-limits.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { dataDirTrustedByTests } from './helpers/tls.js';

/** Short enough to wait for here, long enough for a handshake on a busy machine. */
const HEADERS_TIMEOUT_MS = 1_500;
const PER_ADDRESS = 6;
let server: TestServer;
let httpsPort: number;
let httpPort: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startTestServer({ httpsEnabled: true, httpsPort: 0, headersTimeoutMs: HEADERS_TIMEOUT_MS, maxConnectionsPerAddress: PER_ADDRESS, bodyLimitBytes: 4096 }, { dataDir: dataDirTrustedByTests() });
  httpsPort = server.httpsPort!;
  httpPort = Number(new URL(server.url).port);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server?.stop();
});

/** The bytes of a real ClientHello (what node's TLS client sends first). */
async function clientHello(): Promise<Buffer> {
  let hello: Buffer | undefined;
  const capture = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      hello ??= Buffer.from(chunk);
      done();
    },
  });
  const tls = tlsConnect({ socket: capture, servername: 'localhost' });
  tls.on('error', () => {});
  while (!hello) await new Promise((r) => setImmediate(r));
  tls.destroy();
  return hello;
}

/** A raw TCP connection; what it read, and when the server closed it. */
async function rawSocket(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = netConnect({ host: '127.0.0.1', port, localAddress });
  sockets.push(socket);
  let data = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (data = Buffer.concat([data, d])));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await once(socket, 'connect');
  return { socket, received: () => data, closed };
}

/** A TLS connection to the HTTPS port: the socket once its handshake ended, or the error that ended it. */
async function tlsSocket(options: ConnectionOptions = {}): Promise<{ socket: TLSSocket; error: Error | undefined; received: () => string; closed: Promise<void> }> {
  const socket = tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost', ...options });
  sockets.push(socket);
  let error: Error | undefined;
  let data = '';
  socket.on('error', (err) => (error = err));
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await Promise.race([once(socket, 'secureConnect').catch(() => {}), closed]);
  return { socket, error, received: () => data, closed };
}

async function healthOverHttps(localAddress = '127.0.0.1'): Promise<string> {
  const c = await tlsSocket({ localAddress });
  c.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  await c.closed;
  return c.received();
}

describe('handshakes that never finish', () => {
  it('closes a connection whose ClientHello stops halfway, without an answer', async () => {
    const hello = await clientHello();
    const stalled = await rawSocket(httpsPort);
    stalled.socket.write(hello.subarray(0, 20));
    await stalled.closed;
    expect(stalled.received().length).toBe(0);
  });

  it('does not restart the handshake timeout for each byte of a ClientHello dripped slowly', async () => {
    const hello = await clientHello();
    const drip = await rawSocket(httpsPort);
    let sent = 0;
    // One byte every 150 ms: the whole ClientHello would take close to a minute.
    const timer = setInterval(() => {
      if (sent < hello.length && !drip.socket.destroyed) drip.socket.write(hello.subarray(sent, ++sent));
    }, 150);
    await drip.closed;
    clearInterval(timer);
    expect(sent).toBeLessThan(hello.length);
  });

  it('counts unfinished handshakes toward the per-address cap, frees their slots when they close, and leaves other addresses served', async () => {
    const hello = await clientHello();
    // 127.0.0.7 holds every slot of its address with handshakes it never finishes.
    const stalled = await Promise.all(Array.from({ length: PER_ADDRESS }, () => rawSocket(httpsPort, '127.0.0.7')));
    for (const s of stalled) s.socket.write(hello.subarray(0, 10));
    const refused = await rawSocket(httpsPort, '127.0.0.7');
    refused.socket.write(hello);
    await refused.closed;
    // Dropped at accept: not even a TLS alert.
    expect(refused.received().length).toBe(0);
    expect(await healthOverHttps('127.0.0.8')).toMatch(/^HTTP\/1\.1 200 /);
    // The timeout closes them and their address gets its slots back.
    await Promise.all(stalled.map((s) => s.closed));
    expect(await healthOverHttps('127.0.0.7')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers a client that finished the handshake and drips its headers with the 408 of the plain port', async () => {
    const c = await tlsSocket();
    c.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
    const timer = setInterval(() => {
      if (!c.socket.destroyed) c.socket.write('X-Slow: 1\r\n');
    }, 200);
    await c.closed;
    clearInterval(timer);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(c.received().split('\r\n\r\n')[1]!)).toMatchObject({ error: 'Request Timeout', code: 10000, status: 408 });
  });
});

describe('the wrong protocol', () => {
  it('answers a ClientHello on the plain port with the 400 JSON body, and the TLS client fails at once', async () => {
    const raw = await rawSocket(httpPort);
    raw.socket.write(await clientHello());
    await raw.closed;
    const answer = raw.received().toString('latin1');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).toMatchObject({ error: 'Bad Request', code: 10000, status: 400 });

    const client = tlsConnect({ host: '127.0.0.1', port: httpPort, servername: 'localhost' });
    sockets.push(client);
    const [err] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    expect(err.message).toMatch(/wrong version number|packet length too long/);
  });

  it('refuses an HTTP/2-only client in the handshake (no_application_protocol), and serves h2-or-HTTP/1.1 clients HTTP/1.1', async () => {
    const h2only = await tlsSocket({ ALPNProtocols: ['h2'] });
    await h2only.closed;
    expect(h2only.error?.message).toMatch(/no application protocol/);

    const either = await tlsSocket({ ALPNProtocols: ['h2', 'http/1.1'] });
    expect(either.socket.alpnProtocol).toBe('http/1.1');
    either.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await either.closed;
    expect(either.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses TLS 1.0 and 1.1 in the handshake (protocol_version)', async () => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const old = await tlsSocket({ minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
      await old.closed;
      expect(old.error?.message).toMatch(/alert protocol version/);
    }
  });

  it('closes connections whose handshake records are garbage or oversized, and goes on serving', async () => {
    const records = [
      // A handshake record of 16 KB of junk.
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xff, 0xff, 0xff]), Buffer.alloc(16_380, 0x41)]),
      // A record longer than TLS allows.
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]), Buffer.alloc(65_535, 0x41)]),
      // A ClientHello announcing 16 MB, sent in full-size records.
      Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]), i === 0 ? Buffer.from([0x01, 0xff, 0xff, 0xfc]) : Buffer.alloc(0), Buffer.alloc(i === 0 ? 16_380 : 16_384, 0x41)]))),
      // A TLS record type, then plain HTTP.
      Buffer.from('\x16GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n', 'latin1'),
    ];
    for (const record of records) {
      const raw = await rawSocket(httpsPort);
      raw.socket.write(record);
      await raw.closed;
      // Nothing but a TLS alert record (type 21).
      expect(raw.received().length === 0 || raw.received()[0] === 0x15).toBe(true);
    }
    expect(await healthOverHttps()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses client-initiated renegotiation (TLS 1.2): the connection is closed, without an HTTP answer', async () => {
    const c = await tlsSocket({ maxVersion: 'TLSv1.2' });
    expect(c.socket.getProtocol()).toBe('TLSv1.2');
    c.socket.renegotiate({}, () => {});
    await c.closed;
    expect(c.received()).toBe('');
    expect(await healthOverHttps()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('bad requests over HTTPS and over HTTP', () => {
  const auth = `Basic ${Buffer.from(`${PROJECT_ID}:${API_TOKEN}`).toString('base64')}`;
  const compat = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`;
  function request(method: string, path: string, headers: Record<string, string>, body = ''): string {
    const all = { Host: 'api.example.com', Connection: 'close', ...(method === 'POST' ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers };
    return `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
  }
  const json = { Authorization: auth, 'Content-Type': 'application/json' };
  const form = { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' };
  const cases: Array<[string, string]> = [
    ['native API, malformed JSON', request('POST', '/api/messaging/messages', json, '{"from":')],
    ['native API, JSON nested too deep', request('POST', '/api/messaging/messages', json, `${'['.repeat(100)}${']'.repeat(100)}`)],
    ['native API, body over the limit', request('POST', '/api/messaging/messages', json, JSON.stringify({ body: 'x'.repeat(6000) }))],
    ['native API, invalid number', request('POST', '/api/messaging/messages', json, JSON.stringify({ from: NUMBERS[0], to: 'abc', body: 'x' }))],
    ['Compatibility API, malformed form body', request('POST', compat, form, `To=%ZZ&From=${encodeURIComponent(NUMBERS[0]!)}&Body=x`)],
    ['Compatibility API, JSON body', request('POST', compat, json, '{"To":"+1555"}')],
    ['console, malformed JSON', request('POST', '/api/console/login', { 'Content-Type': 'application/json' }, '{oops')],
    ['headers too large', request('GET', '/health', { 'X-Big': 'b'.repeat(20_000) })],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
    // The application starts answering (401) before the parser finds the body broken.
    ['a malformed chunked body', `POST /api/messaging/messages HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n`],
  ];

  /** What the server answers `bytes` on one connection, whole, without its Date line. */
  async function exchange(tls: boolean, bytes: string): Promise<string> {
    const socket = tls ? tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost' }) : netConnect({ host: '127.0.0.1', port: httpPort });
    sockets.push(socket);
    socket.on('error', () => {});
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await once(socket, tls ? 'secureConnect' : 'connect');
    socket.write(bytes);
    await closed;
    return data.replace(/^Date: .*\r\n/im, '');
  }

  it.each(cases)('%s: the same single answer on both ports', async (_name, bytes) => {
    const plain = await exchange(false, bytes);
    const secure = await exchange(true, bytes);
    expect(plain).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(secure.match(/HTTP\/1\.1 \d\d\d /g)).toHaveLength(1);
    expect(secure).toBe(plain);
  });

  it('RELAY over wss answers bad frames with the JSON-RPC errors it gives over ws', async () => {
    const frames: Record<string, string[]> = {};
    for (const url of [server.url, server.httpsUrl!]) {
      const relay = await RawRelay.open(url);
      relay.sendRaw('{not json');
      relay.sendRaw(JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'messaging.send' }));
      relay.sendRaw(JSON.stringify([]));
      relay.sendRaw(Buffer.from([0xff, 0xfe]));
      relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'messaging.send', params: {} }));
      await relay.waitFor((f) => f.id === 2);
      frames[url] = relay.frames.map((f) => JSON.stringify(f));
      await relay.close();
    }
    expect(frames[server.url]).toHaveLength(5);
    expect(frames[server.httpsUrl!]).toEqual(frames[server.url]);
  });
});

describe('an answer a TLS client does not read', () => {
  let https: HttpsServer;
  afterAll(async () => {
    https?.closeAllConnections();
    await new Promise((r) => https?.close(r));
  });

  it('is dropped once none of it was written for answerStallMs, as on HTTP', async () => {
    const dir = process.env.SWITCHBOARD_TEST_TLS_DIR!;
    const served: ServerResponse[] = [];
    https = createHttpsServer({ key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')) }, (_req: IncomingMessage, res: ServerResponse) => served.push(res));
    answerPlainHttp(https, { firstBytesTimeoutMs: 10_000 });
    new ServerLimits({ headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, maxConnections: 100, maxConnectionsPerAddress: 100, bodyLimitBytes: 1024, answerStallMs: 300 }, pino({ level: 'silent' })).apply(https, { tls: true });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
    const client = tlsConnect({ host: '127.0.0.1', port: (https.address() as AddressInfo).port, servername: 'localhost' });
    sockets.push(client);
    client.on('error', () => {});
    await once(client, 'secureConnect');
    client.write('GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n');
    client.pause();
    while (served.length === 0) await new Promise((r) => setTimeout(r, 10));
    // Far more than the kernel's socket buffers take.
    const big = Buffer.alloc(64 * 1024 * 1024, 'x');
    served[0]!.end(big);
    await once(served[0]!, 'close');
    // What the network had taken still arrives, then the close: the rest of the answer was dropped.
    let got = 0;
    client.on('data', (d: Buffer) => (got += d.length));
    const closed = once(client, 'close');
    client.resume();
    await closed;
    expect(got).toBeLessThan(big.length);
  });
});
