/**
 * A client opening TLS connections in a loop spends the server's thread on handshakes (about a
 * millisecond each) without ever holding many connections at once. The HTTPS listener as the server
 * builds it (`listenHttps`) paces handshakes per address: a greedy address gets its connections,
 * spread out at its rate, and another address's handshake and request do not wait behind them.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest, type Server as HttpsServer } from 'node:https';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenHttps } from '../src/composition/surfaces.js';
import type { ResolvedSettings } from '../src/config/settings.js';
import { ServerLimits } from '../src/http/server-limits.js';

const RATE = 20;
const BURST = 4;
const GREEDY = 60;
let app: FastifyInstance;
let server: HttpsServer;
let port: number;
const sockets: TLSSocket[] = [];

beforeAll(async () => {
  const dir = process.env.SWITCHBOARD_TEST_TLS_DIR!;
  app = Fastify();
  app.get('/hello', async () => ({ hello: 'world' }));
  await app.ready();
  const limits = new ServerLimits(
    { headersTimeoutMs: 30_000, requestTimeoutMs: 30_000, maxConnections: 1_000, maxConnectionsPerAddress: 200, bodyLimitBytes: 1024, handshakesPerSecondPerAddress: RATE, handshakeBurstPerAddress: BURST },
    pino({ level: 'silent' }),
  );
  const tls = { key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')) };
  ({ server, port } = await listenHttps(app, tls as never, { httpsPort: 0, host: '127.0.0.1' } as ResolvedSettings, limits));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await app?.close();
});

function handshake(localAddress: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, localAddress, servername: 'localhost', rejectUnauthorized: false }, () => resolve(s));
    sockets.push(s);
    s.once('error', reject);
  });
}

function get(localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/hello', localAddress, servername: 'localhost', rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('TLS handshakes from one address', () => {
  it('are paced: another address is served while they wait, and every one of them completes', async () => {
    let done = 0;
    const greedy = Array.from({ length: GREEDY }, () => handshake('127.0.0.2').then((s) => (done++, s)));
    const other = await get('127.0.0.3');
    const doneWhenOtherServed = done;
    expect(other).toEqual({ status: 200, body: JSON.stringify({ hello: 'world' }) });
    // Without pacing all of them were through before the other address's handshake.
    expect(doneWhenOtherServed).toBeLessThan(GREEDY / 2);
    // Waiting, not refused: each gets its handshake, and then its requests served.
    const all = await Promise.all(greedy);
    expect(all).toHaveLength(GREEDY);
    expect(all.every((s) => s.authorized !== undefined && !s.destroyed)).toBe(true);
  });

  it('leaves plain HTTP sent to the HTTPS port answered at once, not queued behind the address\'s handshakes', async () => {
    const waiting = Array.from({ length: 30 }, () => handshake('127.0.0.4'));
    const answer = await new Promise<string>((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.4' }, () => s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString('latin1')));
      s.on('close', () => resolve(text));
      s.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    await Promise.all(waiting);
  });
});
