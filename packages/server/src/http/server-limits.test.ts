/**
 * Pipelined requests (several sent on one connection before any answer is read) reach the
 * application one at a time, each once the answer before it is written, and a connection with more
 * than MAX_PIPELINED_REQUESTS waiting is closed: a client pipelining list requests without reading
 * made the node keep every answer in memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerLimits } from './server-limits.js';
import { MAX_PIPELINED_REQUESTS } from './unread-answers.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A server whose application records each request it is handed and answers only when told. */
async function holdingServer(): Promise<{ port: number; served: Array<{ path: string; res: ServerResponse }> }> {
  const served: Array<{ path: string; res: ServerResponse }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => served.push({ path: req.url ?? '', res }));
  new ServerLimits({ headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, maxConnections: 100, maxConnectionsPerAddress: 100, bodyLimitBytes: 1024 }, pino({ level: 'silent' })).apply(server, { tls: false });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, served };
}

function pipeline(port: number, paths: string[]): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let data = '';
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
  return { socket, received: () => data, closed };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('pipelined requests', () => {
  it('are handed to the application one at a time, each after the answer before it, and all answered in order', async () => {
    const { port, served } = await holdingServer();
    const client = pipeline(port, ['/a', '/b', '/c']);
    await until(() => served.length === 1);
    // The next request waits while the first is unanswered.
    await new Promise((r) => setTimeout(r, 100));
    expect(served.map((s) => s.path)).toEqual(['/a']);
    served[0]!.res.end('A');
    await until(() => served.length === 2);
    expect(served[1]!.path).toBe('/b');
    served[1]!.res.end('B');
    await until(() => served.length === 3);
    served[2]!.res.end('C');
    await until(() => (client.received().match(/HTTP\/1\.1 200/g) ?? []).length === 3);
    expect(client.received().replace(/[\s\S]*?\r\n\r\n([ABC])/g, '$1')).toBe('ABC');
    expect(client.socket.destroyed).toBe(false);
  });

  it('waiting when their connection closes are never served', async () => {
    const { port, served } = await holdingServer();
    const client = pipeline(port, ['/a', '/b', '/c']);
    await until(() => served.length === 1);
    client.socket.destroy();
    await until(() => served[0]!.res.destroyed);
    served[0]!.res.end('A');
    await new Promise((r) => setTimeout(r, 100));
    expect(served.map((s) => s.path)).toEqual(['/a']);
  });

  it(`close a connection with more than ${MAX_PIPELINED_REQUESTS} waiting, having served only the first`, async () => {
    const { port, served } = await holdingServer();
    const paths = Array.from({ length: MAX_PIPELINED_REQUESTS + 2 }, (_, i) => `/${i}`);
    const client = pipeline(port, paths);
    await client.closed;
    expect(served.map((s) => s.path)).toEqual(['/0']);
    // Up to the limit is fine.
    const fine = pipeline(port, paths.slice(0, MAX_PIPELINED_REQUESTS + 1));
    await until(() => served.length === 2);
    for (let i = 0; i <= MAX_PIPELINED_REQUESTS; i++) {
      await until(() => served.length === 2 + i);
      served[1 + i]!.res.end('x');
    }
    await until(() => (fine.received().match(/HTTP\/1\.1 200/g) ?? []).length === MAX_PIPELINED_REQUESTS + 1);
    expect(fine.socket.destroyed).toBe(false);
  });
});

describe('an answer the client does not read', () => {
  it('closes its connection once none of it was written for answerStallMs, and not before', async () => {
    const served: ServerResponse[] = [];
    const server = createServer((_req: IncomingMessage, res: ServerResponse) => served.push(res));
    new ServerLimits({ headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, maxConnections: 100, maxConnectionsPerAddress: 100, bodyLimitBytes: 1024, answerStallMs: 300 }, pino({ level: 'silent' })).apply(server, { tls: false });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    // Far more than the kernel's socket buffers take.
    const big = Buffer.alloc(64 * 1024 * 1024, 'x');

    const reader = pipeline(port, ['/read']);
    let read = 0;
    reader.socket.removeAllListeners('data');
    reader.socket.on('data', (d: Buffer) => (read += d.length));
    await until(() => served.length === 1);
    served[0]!.end(big);
    await until(() => read > big.length);
    expect(served[0]!.writableFinished).toBe(true);
    expect(reader.socket.destroyed).toBe(false);

    const stuck = pipeline(port, ['/stuck']);
    stuck.socket.pause();
    await until(() => served.length === 2);
    served[1]!.end(big);
    await until(() => served[1]!.destroyed);
    // What the kernel had taken still arrives, then the close: the rest of the answer was dropped.
    let got = 0;
    stuck.socket.removeAllListeners('data');
    stuck.socket.on('data', (d: Buffer) => (got += d.length));
    stuck.socket.resume();
    await stuck.closed;
    expect(got).toBeLessThan(big.length);
  });
});

describe('open connections per IPv6 network', () => {
  /** A socket as the connection listener sees it; `destroy` closes it. */
  class FakeSocket extends EventEmitter {
    destroyed = false;
    writable = true;
    constructor(readonly remoteAddress: string) {
      super();
    }
    write(): boolean {
      return true;
    }
    destroy(): void {
      if (this.destroyed) return;
      this.destroyed = true;
      this.emit('close');
    }
  }

  it('caps the /64s of one /48 together: one site with many /64s cannot take the whole node', () => {
    const server = createServer();
    new ServerLimits({ headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, maxConnections: 10_000, maxConnectionsPerAddress: 2, maxConnectionsPerNetwork: 5, bodyLimitBytes: 1024 }, pino({ level: 'silent' })).apply(server, { tls: false });
    const admit = server.listeners('connection')[0] as (s: FakeSocket) => void;
    const open = (address: string) => {
      const s = new FakeSocket(address);
      admit(s);
      return s;
    };
    // One /48, a /64 after another: two connections each (the per-address cap), five in all.
    const site = Array.from({ length: 4 }, (_, i) => [open(`2001:db8:1:${i}::1`), open(`2001:db8:1:${i}::2`)]).flat();
    expect(site.map((s) => s.destroyed)).toEqual([false, false, false, false, false, true, true, true]);
    // Another /48, IPv4 clients and loopback are not held back by it.
    expect([open('2001:db8:2:0::1'), open('203.0.113.7'), open('::1')].map((s) => s.destroyed)).toEqual([false, false, false]);
    // One closes: the site may open one more.
    site[0]!.destroy();
    expect(open('2001:db8:1:9::1').destroyed).toBe(false);
    expect(open('2001:db8:1:a::1').destroyed).toBe(true);
  });
});
