/**
 * Limits of the HTTP servers themselves, on the plain and the HTTPS listener: header and request
 * timeouts (slowloris), open connections per client address (127.0.0.2 plays a second client),
 * answers with a JSON body for requests the HTTP parser refuses (431, 400, 408), an oversized
 * body read while its sender still sends so it sees the 413, the connection closed soon once it
 * stops, one announced with Expect: 100-continue refused before it is sent, and pipelined requests
 * served a turn of the event loop apart, so other clients are served between them.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { captureLogs } from './helpers/log-capture.js';
import { requestText } from './helpers/raw-http.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';
import { dataDirTrustedByTests } from './helpers/tls.js';

// Room for this file's own requests from 127.0.0.1.
const PER_ADDRESS = 16;
const logs = captureLogs();
/** Short timeouts and a small per-address cap; the default settings (plus HTTPS) for the answers. */
let limited: TestServer;
let defaults: TestServer;
let server: TestServer;
let httpPort: number;
let httpsPort: number;
const sockets: Socket[] = [];

/** Aim the helpers below at one of the two servers. */
function use(s: TestServer): void {
  server = s;
  httpPort = s.port;
  httpsPort = s.httpsPort!;
}

beforeAll(async () => {
  [limited, defaults] = await Promise.all([
    startTestServer({ httpsEnabled: true, httpsPort: 0, headersTimeoutMs: 600, requestTimeoutMs: 1_500, maxConnectionsPerAddress: PER_ADDRESS }, { dataDir: dataDirTrustedByTests(), logger: logs.logger }),
    startTestServer({ httpsEnabled: true, httpsPort: 0 }, { dataDir: dataDirTrustedByTests() }),
  ]);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await limited?.stop();
  await defaults?.stop();
});

/** A raw TCP connection to the plain listener, from `localAddress`; collects what it reads. */
function rawSocket(localAddress = '127.0.0.1'): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port: httpPort, localAddress });
    sockets.push(socket);
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** The JSON body of a raw HTTP answer. */
function jsonBody(raw: string): any {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

async function health(): Promise<number> {
  return (await fetch(`${server.url}/health`)).status;
}

describe('header and request timeouts', () => {
  beforeAll(() => use(limited));
  it('closes a client sending its headers byte by byte (408, JSON) while /health keeps answering', async () => {
    const slow = await rawSocket();
    const text = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(10_000);
    let i = 0;
    const drip = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(text[i++ % text.length]!);
    }, 25);
    try {
      expect(await health()).toBe(200);
      await slow.closed;
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(jsonBody(slow.received())).toMatchObject({ error: 'Request Timeout', status: 408, code: 10000, message: expect.any(String) });
      expect(await health()).toBe(200);
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a connection that never sends a request, and one whose body never finishes', async () => {
    const idle = await rawSocket();
    await idle.closed;
    const body = await rawSocket();
    // The console login reads its body before any authentication.
    body.socket.write('POST /api/console/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"project_id":');
    const drip = setInterval(() => !body.socket.destroyed && body.socket.write(' '), 100);
    try {
      await body.closed;
      expect(body.received()).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(drip);
    }
  });
});

describe('open connections per client address', () => {
  beforeAll(() => use(limited));
  it('refuses a client address over its cap (HTTP and RELAY alike) while another address still connects', async () => {
    // Connections that made a request and stay open (keep-alive): the server has counted them.
    const held = await Promise.all(Array.from({ length: PER_ADDRESS }, () => rawSocket('127.0.0.2')));
    for (const h of held) h.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => (held.every((h) => h.received().startsWith('HTTP/1.1 200 ')) ? true : undefined));
    const refused = await rawSocket('127.0.0.2');
    await refused.closed;
    expect(refused.received()).toMatch(/^HTTP\/1\.1 429 /);
    expect(jsonBody(refused.received())).toMatchObject({ status: 429, message: expect.stringContaining(`limit ${PER_ADDRESS}`) });
    // A WebSocket upgrade is a connection like any other.
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/`, { localAddress: '127.0.0.2' });
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.once('error', (err) => resolve(`error ${(err as Error).message}`));
    });
    expect(outcome).not.toBe('open');
    // Over TLS, the connection is dropped before the handshake.
    const tlsOutcome = await new Promise<string>((resolve) => {
      const t = tlsConnect({ host: '127.0.0.1', port: httpsPort, localAddress: '127.0.0.2', servername: 'localhost' });
      t.once('secureConnect', () => resolve('connected'));
      t.once('error', () => resolve('refused'));
      t.once('close', () => resolve('refused'));
    });
    expect(tlsOutcome).toBe('refused');
    // 127.0.0.1 is another client.
    expect(await health()).toBe(200);
    expect(logs.matching('refusing connections from an address')).toEqual([expect.objectContaining({ address: '127.0.0.2', limit: PER_ADDRESS })]);
    // A slot freed is a slot for the same address again.
    held[0]!.socket.destroy();
    const answer = await eventually(async () => {
      const again = await rawSocket('127.0.0.2');
      again.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await again.closed;
      return again.received().startsWith('HTTP/1.1 200 ') ? again.received() : undefined;
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    for (const h of held) h.socket.destroy();
  });
});

type Answer = { status: number; body: string } | { error: string };

/**
 * POST a body of `size` bytes the way most clients do: write all of it (waiting whenever the socket
 * is full), and only then read the answer. A server that closes the connection under it makes the
 * writes fail (EPIPE, ECONNRESET) before the answer is read.
 */
function postLarge(https: boolean, size: number, path = '/api/messaging/messages'): Promise<Answer> {
  return new Promise((resolve) => {
    const socket: Socket = https ? tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost' }) : netConnect({ host: '127.0.0.1', port: httpPort });
    let received = '';
    let failed: string | null = null;
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => (failed ??= err.code ?? err.message));
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once(https ? 'secureConnect' : 'connect', async () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${server.auth}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let sent = 0; sent < size && failed === null && !socket.destroyed; sent += chunk.length) {
        if (!socket.write(chunk.subarray(0, Math.min(chunk.length, size - sent)))) await new Promise<void>((r) => (socket.once('drain', () => r()), socket.once('close', () => r())));
      }
      if (failed !== null || socket.destroyed) return resolve({ error: failed ?? 'closed while sending' });
      // All sent: now read the answer.
      const complete = () => /\r\n\r\n/.test(received) && received.length - received.indexOf('\r\n\r\n') - 4 >= Number(/content-length: (\d+)/i.exec(received)?.[1] ?? Infinity);
      await Promise.race([ended, new Promise<void>((r) => { const t = setInterval(() => complete() && (clearInterval(t), r()), 10); })]);
      socket.destroy();
      if (!complete()) return resolve({ error: failed ?? 'no answer' });
      resolve({ status: Number(received.slice(9, 12)), body: received.slice(received.indexOf('\r\n\r\n') + 4) });
    });
  });
}

describe('answers before any surface', () => {
  beforeAll(() => use(defaults));
  it.each([false, true])('a 4 MiB body gets its 413 read by the client, every time (https: %s)', async (https) => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => postLarge(https, 12 * 1024 * 1024)));
    for (const a of answers) {
      expect(a).toMatchObject({ status: 413 });
      expect(JSON.parse((a as { body: string }).body)).toMatchObject({ error: 'Payload Too Large' });
    }
    const compat = await postLarge(https, 12 * 1024 * 1024, `/2010-04-01/Accounts/${server.bootstrap.project.id}/Messages.json`);
    expect(compat).toMatchObject({ status: 413 });
    expect(JSON.parse((compat as { body: string }).body)).toMatchObject({ code: 10000, status: 413 });
  });

  it.each([false, true])('closes the connection soon after answering a body declared far over the limit, once the client stops sending (https: %s)', async (https) => {
    // Headers declaring 100 MB and the first bytes of the body, then nothing more (or a byte now
    // and then): the server held such a connection, reading, until the request timeout (30 s).
    const declareHuge = (path: string, auth: string | null, trickle: boolean) =>
      new Promise<string>((resolve, reject) => {
        const s: Socket = https ? tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost' }) : netConnect({ host: '127.0.0.1', port: httpPort });
        sockets.push(s);
        let data = '';
        let drip: NodeJS.Timeout | undefined;
        s.on('data', (d) => (data += d.toString('latin1')));
        s.on('error', reject);
        s.on('close', () => (clearInterval(drip), resolve(data)));
        s.once(https ? 'secureConnect' : 'connect', () => {
          s.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\n${auth === null ? '' : `Authorization: ${auth}\r\n`}Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"to":"` + ' '.repeat(4096));
          if (trickle) drip = setInterval(() => s.write(' '), 200);
        });
      });
    const tooLarge = await declareHuge('/api/messaging/messages', server.auth, false);
    expect(tooLarge).toMatch(/^HTTP\/1\.1 413 /);
    expect(tooLarge).toMatch(/\r\nconnection: close\r\n/i);
    expect(jsonBody(tooLarge)).toMatchObject({ error: 'Payload Too Large' });
    // Any answer given before such a body is read closes the connection too (node read the body to keep it).
    const unauthenticated = await declareHuge('/api/messaging/messages', null, false);
    expect(unauthenticated).toMatch(/^HTTP\/1\.1 401 /);
    expect(unauthenticated).toMatch(/\r\nconnection: close\r\n/i);
    expect(jsonBody(unauthenticated)).toMatchObject({ error: 'Unauthorized' });
    // A client sending a byte now and then is not kept either.
    const compat = await declareHuge(`/2010-04-01/Accounts/${server.bootstrap.project.id}/Messages.json`, server.auth, true);
    expect(compat).toMatch(/^HTTP\/1\.1 413 /);
    expect(jsonBody(compat)).toMatchObject({ code: 10000, status: 413 });
    expect(await health()).toBe(200);
  });

  it.each([false, true])('answers Expect: 100-continue with the 413 instead of the 100 when the declared body is over the limit, so it is never sent (https: %s)', async (https) => {
    // Node's client waits for the 100 before it writes the body ('continue'), as curl does.
    const expecting = (length: number, body: string, path = '/api/messaging/messages') =>
      new Promise<{ status: number; body: string; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = (https ? httpsRequest : httpRequest)(
          { host: '127.0.0.1', port: https ? httpsPort : httpPort, servername: 'localhost', method: 'POST', path, agent: false, headers: { authorization: server.auth, 'content-type': 'application/json', 'content-length': String(length), expect: '100-continue' } } as RequestOptions,
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, continued }));
          },
        );
        req.on('continue', () => {
          continued = true;
          req.end(body);
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    const over = await expecting(8 * 1024 * 1024, '');
    expect(over).toMatchObject({ status: 413, continued: false });
    expect(JSON.parse(over.body)).toMatchObject({ error: 'Payload Too Large' });
    const compat = await expecting(8 * 1024 * 1024, '', `/2010-04-01/Accounts/${server.bootstrap.project.id}/Messages.json`);
    expect(compat).toMatchObject({ status: 413, continued: false });
    expect(JSON.parse(compat.body)).toMatchObject({ code: 10000, status: 413 });
    // Within the limit: the 100, then the body, then its answer.
    const body = '{"to":"+15557650077"}';
    const within = await expecting(Buffer.byteLength(body), body);
    expect(within).toMatchObject({ status: 422, continued: true });
    expect(await health()).toBe(200);
  });

  it('answers headers over 16 KB with 431 and a JSON body, on HTTPS as on HTTP', async () => {
    for (const https of [false, true]) {
      const res = await requestText(https ? httpsRequest : httpRequest, { host: '127.0.0.1', port: https ? httpsPort : httpPort, path: '/health', servername: 'localhost', headers: { 'x-big': 'b'.repeat(20_000) } } as RequestOptions);
      expect(res.status).toBe(431);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'Request Header Fields Too Large', status: 431, code: 10000, message: expect.any(String), more_info: expect.any(String) });
    }
  });

  it('serves a request without Host, ignores an unknown Expect, and answers CONNECT with a JSON 400 (node answered empty or closed)', async () => {
    const exchange = async (request: string) => {
      const { socket, received, closed } = await rawSocket();
      socket.write(request);
      await closed;
      return received();
    };
    expect(await exchange('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await exchange('GET /health HTTP/1.1\r\nHost: x\r\nExpect: 42-bogus\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
    const connect = await exchange('CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(connect).toMatch(/^HTTP\/1\.1 400 /);
    expect(jsonBody(connect)).toMatchObject({ error: 'Bad Request', status: 400, message: expect.stringContaining('CONNECT') });
  });

  it('answers a request that is not HTTP with 400 and a JSON body, on HTTPS as on HTTP', async () => {
    for (const https of [false, true]) {
      const raw = await new Promise<string>((resolve, reject) => {
        const s: Socket = https ? tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost' }) : netConnect({ host: '127.0.0.1', port: httpPort });
        let data = '';
        s.on('data', (d) => (data += d.toString()));
        s.on('close', () => resolve(data));
        s.on('error', reject);
        s.once(https ? 'secureConnect' : 'connect', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n'));
      });
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(jsonBody(raw)).toMatchObject({ error: 'Bad Request', status: 400, message: expect.any(String) });
    }
  });
});

describe('pipelined requests', () => {
  it("serves a connection's pipelined requests one per turn of the event loop, so another client's request is answered between them", async () => {
    // Node hands a connection's next pipelined request over as soon as the answer before it is out,
    // within the same turn: 200 connections of one client pipelining 20 requests each were served
    // chain after chain, and a new connection of another client waited 4 to 10 s for the node.
    use(defaults);
    const PIPELINED = 30;
    const request = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';
    const answers = (raw: string) => raw.split('HTTP/1.1 200 ').length - 1;
    const greedy = await rawSocket('127.0.0.2');
    const other = await rawSocket('127.0.0.1');
    let greedyAnsweredBeforeOther = -1;
    other.socket.once('data', () => (greedyAnsweredBeforeOther = answers(greedy.received())));
    const first = new Promise<void>((resolve) => greedy.socket.once('data', () => resolve()));
    greedy.socket.write(request.repeat(PIPELINED));
    await first;
    // Sent once the first of the pipelined requests is answered.
    other.socket.write(request);
    await eventually(() => (answers(other.received()) === 1 && answers(greedy.received()) === PIPELINED ? true : undefined), 10_000, 'every answer');
    expect(jsonBody(other.received())).toMatchObject({ status: 'ok' });
    expect(greedyAnsweredBeforeOther).toBeLessThan(PIPELINED);
  });
});
