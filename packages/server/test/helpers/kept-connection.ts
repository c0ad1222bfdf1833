/**
 * A raw keep-alive connection to a test server from a chosen loopback address, with a reader of its
 * answers in order: for tests that must write many requests in one turn of the server's loop.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { expect } from 'vitest';

export interface KeptAnswer {
  status: number;
  retryAfter: string | undefined;
  body: any;
}

/**
 * A connection to `port` from `localAddress`, answered once (so the server has accepted it), and
 * `next`, which reads its next answer (a JSON body). The socket is added to `sockets` for the
 * caller to destroy.
 */
export async function openKeptConnection(port: number, localAddress: string, sockets: Socket[]): Promise<{ socket: Socket; next: () => Promise<KeptAnswer> }> {
  const socket = netConnect({ host: '127.0.0.1', port, localAddress });
  sockets.push(socket);
  socket.on('error', () => {});
  let data = '';
  let waiting: (() => void) | undefined;
  socket.on('data', (d) => {
    data += d.toString('latin1');
    waiting?.();
  });
  const next = async (): Promise<KeptAnswer> => {
    for (;;) {
      const head = data.indexOf('\r\n\r\n');
      if (head >= 0) {
        const headers = data.slice(0, head);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
        if (data.length >= head + 4 + length) {
          const body = data.slice(head + 4, head + 4 + length);
          data = data.slice(head + 4 + length);
          return { status: Number(headers.split(' ')[1]), retryAfter: /\r\nretry-after: *(\S+)/i.exec(headers)?.[1], body: JSON.parse(Buffer.from(body, 'latin1').toString()) };
        }
      }
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  expect((await next()).status).toBe(200);
  return { socket, next };
}
