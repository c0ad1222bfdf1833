/**
 * Plain HTTP sent to the HTTPS port gets a 400 with a JSON body naming the https:// URL (as nginx
 * answers), instead of a connection dropped without a word; TLS clients are served as before, a
 * connection that sends nothing is still closed after the header timeout, and waiting for the first
 * bytes counts toward the per-address connection cap.
 */
import { once } from 'node:events';
import type { RequestOptions } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from './helpers/log-capture.js';
import { requestText } from './helpers/raw-http.js';
import { eventually, NUMBERS, startTestServer, type TestServer } from './helpers/server.js';
import { dataDirTrustedByTests } from './helpers/tls.js';

/** Short enough to wait for here, long enough for a handshake on a busy machine. */
const HEADERS_TIMEOUT_MS = 1_500;
const PER_ADDRESS = 8;
const logs = captureLogs();
let server: TestServer;
let httpsPort: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startTestServer({ httpsEnabled: true, httpsPort: 0, headersTimeoutMs: HEADERS_TIMEOUT_MS, maxConnectionsPerAddress: PER_ADDRESS }, { dataDir: dataDirTrustedByTests(), logger: logs.logger });
  httpsPort = server.httpsPort!;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server?.stop();
});

/** A raw TCP connection to the HTTPS port; collects what it reads and when the server closed it. */
async function rawSocket(localAddress = '127.0.0.1'): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = netConnect({ host: '127.0.0.1', port: httpsPort, localAddress });
  sockets.push(socket);
  let data = '';
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await once(socket, 'connect');
  return { socket, received: () => data, closed };
}

/** Send `request` as plain HTTP to the HTTPS port; the whole answer once the server closed the connection. */
async function plainExchange(...writes: string[]): Promise<string> {
  const { socket, received, closed } = await rawSocket();
  for (const w of writes) socket.write(w);
  await closed;
  return received();
}

function split(raw: string): { status: number; headers: string; body: any } {
  const end = raw.indexOf('\r\n\r\n');
  return { status: Number(raw.slice(9, 12)), headers: raw.slice(0, end), body: JSON.parse(raw.slice(end + 4)) };
}

describe('plain HTTP on the HTTPS port', () => {
  it('answers a GET with 400, Connection: close and a JSON body naming the https:// URL', async () => {
    const answer = split(await plainExchange(`GET /api/messaging/logs HTTP/1.1\r\nHost: 127.0.0.1:${httpsPort}\r\nAuthorization: ${server.auth}\r\n\r\n`));
    expect(answer.status).toBe(400);
    expect(answer.headers).toMatch(/^Connection: close$/im);
    expect(answer.headers).toMatch(/^Content-Type: application\/json/im);
    expect(answer.body).toEqual({
      error: 'Bad Request',
      code: 10000,
      message: `This port speaks HTTPS, not plain HTTP: send the request to https://127.0.0.1:${httpsPort} instead.`,
      more_info: expect.stringContaining('10000'),
      status: 400,
    });
  });

  it('answers a POST whose body comes after its headers, and names the host the client asked for', async () => {
    const body = JSON.stringify({ from: NUMBERS[0], to: '+15557654321', body: 'wrong scheme' });
    const raw = await plainExchange(
      `POST /api/messaging/messages HTTP/1.1\r\nHost: sms.example.com:${httpsPort}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(split(raw)).toMatchObject({ status: 400, body: { status: 400, message: expect.stringContaining(`https://sms.example.com:${httpsPort} `) } });
    // Without a usable Host, the address the request came in on.
    const bare = await plainExchange('GET / HTTP/1.0\r\nHost: "><script>\r\n\r\n');
    expect(split(bare).body.message).toContain(`https://127.0.0.1:${httpsPort} `);
  });

  it('is an answer an ordinary client reads (fetch with the wrong scheme)', async () => {
    const res = await fetch(`http://127.0.0.1:${httpsPort}/api/messaging/messages`, {
      method: 'POST',
      headers: { authorization: server.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ from: NUMBERS[0], to: '+15557654321', body: 'wrong scheme' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toMatchObject({ error: 'Bad Request', status: 400, message: expect.stringContaining(`https://127.0.0.1:${httpsPort}`) });
  });
});

describe('TLS on the same port', () => {
  it('serves HTTPS as before: fetch, and node https with keep-alive (two requests on one connection)', async () => {
    expect((await fetch(`${server.httpsUrl}/health`)).status).toBe(200);
    const sent = await fetch(`${server.httpsUrl}/api/messaging/messages`, {
      method: 'POST',
      headers: { authorization: server.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ from: NUMBERS[0], to: '+15557654321', body: 'over TLS' }),
    });
    expect(sent.status).toBe(201);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ports: number[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/health', servername: 'localhost', agent }, (res) => {
            ports.push(res.socket.localPort!);
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
        expect(status).toBe(200);
      }
    } finally {
      agent.destroy();
    }
    expect(ports[1]).toBe(ports[0]);
  });

  it('still answers what the HTTP parser refuses right after a full handshake (431 with its JSON body)', async () => {
    // A fresh connection each time (no session to resume): the server's session tickets are
    // still being written when the request is refused, and the answer must not be lost behind them.
    for (let i = 0; i < 3; i++) {
      const res = await requestText(httpsRequest, { host: '127.0.0.1', port: httpsPort, path: '/health', servername: 'localhost', agent: false, headers: { 'x-big': 'b'.repeat(20_000) } } as RequestOptions);
      expect(res.status).toBe(431);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'Request Header Fields Too Large', status: 431 });
    }
  });

  it('serves a client whose first TCP segment holds one byte of the handshake', async () => {
    const raw = netConnect({ host: '127.0.0.1', port: httpsPort, noDelay: true });
    sockets.push(raw);
    await once(raw, 'connect');
    let first = true;
    // Between the TLS client and the TCP socket: the ClientHello's first byte goes alone.
    const splitter = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        if (!first) return void raw.write(chunk, done);
        first = false;
        raw.write(chunk.subarray(0, 1));
        setTimeout(() => raw.write(chunk.subarray(1), done), 50);
      },
      final(done) {
        raw.end();
        done();
      },
    });
    raw.on('data', (d) => splitter.push(d));
    raw.on('end', () => splitter.push(null));
    const tls = tlsConnect({ socket: splitter, servername: 'localhost' });
    await once(tls, 'secureConnect');
    tls.write('GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    let answer = '';
    tls.on('data', (d) => (answer += d.toString()));
    await once(tls, 'end');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});

// An SDK that only speaks HTTPS, given the plain HTTP port, read "wrong version number" and the
// server said nothing of it.
describe('TLS on the plain HTTP port', () => {
  it('is logged once a minute, naming the HTTPS port', async () => {
    for (let i = 0; i < 2; i++) {
      const socket = tlsConnect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false });
      socket.on('error', () => {});
      await new Promise((r) => socket.once('close', r));
    }
    const warned = await eventually(() => (logs.matching('a TLS handshake came to the plain HTTP port').length ? logs.matching('a TLS handshake came to the plain HTTP port') : undefined));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toMatch(/the HTTPS port \(https\.port/);
  });
});

describe('limits while waiting for the first bytes', () => {
  it('closes a connection that sends nothing after http.headersTimeoutMs', async () => {
    const started = Date.now();
    const silent = await rawSocket();
    await silent.closed;
    const waited = Date.now() - started;
    expect(silent.received()).toBe('');
    // Closed by the configured timeout, well before the default one (15 s) would have.
    expect(waited).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.8);
    expect(waited).toBeLessThan(10_000);
  });

  it('counts a connection that has sent nothing yet toward the per-address cap', async () => {
    // 127.0.0.3 plays a client holding every slot of its address with silent connections.
    const silent = await Promise.all(Array.from({ length: PER_ADDRESS }, () => rawSocket('127.0.0.3')));
    const refused = await rawSocket('127.0.0.3');
    refused.socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${httpsPort}\r\n\r\n`);
    await refused.closed;
    // Dropped at accept, as on HTTPS before: not even the 400.
    expect(refused.received()).toBe('');
    // Another address is another client.
    expect(split(await plainExchange('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(400);
    for (const s of silent) s.socket.destroy();
  });
});
