import Fastify, { type FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApiServers } from './surfaces.js';

let app: FastifyInstance | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  app?.server.closeAllConnections();
  await app?.close();
  app = undefined;
});

async function listening(): Promise<number> {
  app = Fastify({ forceCloseConnections: 'idle' });
  app.get('/slow', async () => {
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
    await new Promise((r) => setTimeout(r, 50));
    expect(await within(closeApiServers(app!, null, 2_000), 5_000)).toBe('closed');
    expect(await answer).toBe(200);
  });
});
