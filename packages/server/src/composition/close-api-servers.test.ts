import Fastify, { type FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerPlainHttp } from '../http/plain-http-on-https.js';
import { ServerLimits } from '../http/server-limits.js';
import { closeApiServers } from './surfaces.js';

let app: FastifyInstance | undefined;
let https: HttpsServer | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  https?.closeAllConnections();
  if (https?.listening) await new Promise((r) => https!.close(r));
  https = undefined;
  app?.server.closeAllConnections();
  await app?.close();
  app = undefined;
});

/** Resolved when a request reached a handler (it is in flight). */
let arrived: Promise<void>;
let arrive: () => void;
beforeEach(() => {
  arrived = new Promise((r) => (arrive = r));
});

async function listening(): Promise<number> {
  app = Fastify({ forceCloseConnections: 'idle' });
  app.get('/slow', async () => {
    arrive();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

function open(port: number, first?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.resume();
      if (first) s.write(first);
      resolve(s);
    });
    s.on('error', reject);
    sockets.push(s);
  });
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => 'closed' as const), new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

describe('closeApiServers', () => {
  it('drops connections that sent nothing or half a request once the grace is over, instead of waiting for them for ever', async () => {
    const port = await listening();
    const silent = await open(port);
    const half = await open(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n');
    // Let the server take both connections before it closes.
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    expect(await within(closeApiServers(app!, null, 200), 5_000)).toBe('closed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    // The server ended both connections.
    expect(await within(Promise.all([once(silent, 'close'), once(half, 'close')]), 2_000)).toBe('closed');
  });

  it('answers a request in flight before closing', async () => {
    const port = await listening();
    const answer = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.status);
    await arrived;
    expect(await within(closeApiServers(app!, null, 2_000), 5_000)).toBe('closed');
    expect(await answer).toBe(200);
  });

  it('drops the HTTPS connections that have not finished their handshake at once (no request is in flight on them), and answers one in flight', async () => {
    const dir = process.env.SWITCHBOARD_TEST_TLS_DIR!;
    // Header (and handshake) timeouts far beyond the wait below, as the grace is.
    const timeoutMs = 60_000;
    https = createHttpsServer({ key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')), handshakeTimeout: timeoutMs }, (_req, res) => {
      arrive();
      setTimeout(() => res.end('slow'), 300);
    });
    answerPlainHttp(https, { firstBytesTimeoutMs: timeoutMs });
    new ServerLimits({ headersTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, maxConnections: 100, maxConnectionsPerAddress: 100, bodyLimitBytes: 1024 }, pino({ level: 'silent' })).apply(https, { tls: true });
    await new Promise<void>((r) => https!.listen(0, '127.0.0.1', () => r()));
    const port = (https.address() as AddressInfo).port;
    app = Fastify();
    const silent = await open(port);
    // The first bytes of a ClientHello (a handshake record of 300 bytes), then nothing.
    const handshaking = await open(port, Buffer.from([0x16, 0x03, 0x01, 0x01, 0x2c, 0x01, 0x00, 0x01, 0x28]).toString('latin1'));
    const inFlight = new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/slow', servername: 'localhost', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    await arrived;
    const dropped = Promise.all([once(silent, 'close'), once(handshaking, 'close')]);
    expect(await within(closeApiServers(app, https, timeoutMs), 20_000)).toBe('closed');
    expect(await within(dropped, 2_000)).toBe('closed');
    expect(await inFlight).toBe('slow');
  });
});
