import { EventEmitter, once } from 'node:events';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { Server as TlsServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { answerPlainHttp, httpsUrlFor, isTlsHandshake } from './plain-http-on-https.js';

const CLIENT_HELLO_START = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
const LOCAL = { localAddress: '127.0.0.1', localPort: 8443 };

/** An accepted connection without a network: what the client sends is pushed, what the server writes is kept. */
function fakeSocket(): { socket: Socket; send: (bytes: Buffer | string | null) => void; written: () => string } {
  const out: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      out.push(chunk);
      done();
    },
  });
  Object.assign(socket, LOCAL);
  return { socket: socket as unknown as Socket, send: (bytes) => socket.push(bytes), written: () => Buffer.concat(out).toString('latin1') };
}

/** A server whose own 'connection' listener records the sockets it was given (as node's TLS wrap would take them). */
function guardedServer(firstBytesTimeoutMs = 10_000): { server: TlsServer; handedToTls: Socket[] } {
  const server = new EventEmitter() as unknown as TlsServer;
  const handedToTls: Socket[] = [];
  server.on('connection', function (this: TlsServer, socket: Socket) {
    expect(this).toBe(server);
    handedToTls.push(socket);
  });
  answerPlainHttp(server, { firstBytesTimeoutMs });
  return { server, handedToTls };
}

describe('the first bytes of a connection', () => {
  it('are a TLS handshake when they open a handshake record, whatever follows', () => {
    expect(isTlsHandshake(CLIENT_HELLO_START)).toBe(true);
    expect(isTlsHandshake(Buffer.from([0x16]))).toBe(true);
    for (const plain of ['GET / HTTP/1.1\r\n', 'POST', 'PRI * HTTP/2.0', '\r\n']) expect(isTlsHandshake(Buffer.from(plain))).toBe(false);
  });
});

describe('the https:// URL named to a plain request', () => {
  const url = (head: string, local: { localAddress?: string; localPort?: number } = LOCAL) => httpsUrlFor(Buffer.from(head, 'latin1'), local);

  it("is the request's own host", () => {
    expect(url('GET / HTTP/1.1\r\nHost: sms.example.com:8443\r\n\r\n')).toBe('https://sms.example.com:8443');
    expect(url('GET / HTTP/1.1\r\nAccept: */*\r\nhost:   [::1]:9443  \r\n\r\n')).toBe('https://[::1]:9443');
    // The scheme's own port is left out, as browsers show it.
    expect(url('GET / HTTP/1.1\r\nHost: sms.example.com:443\r\n\r\n')).toBe('https://sms.example.com');
  });

  it('is the address the request came in on without a usable Host', () => {
    expect(url('GET / HTTP/1.0\r\n\r\n')).toBe('https://127.0.0.1:8443');
    expect(url('GET / HTTP/1.1\r\nHost: "><script>\r\n\r\n')).toBe('https://127.0.0.1:8443');
    expect(url('GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n')).toBe('https://127.0.0.1:8443');
    // A Host line in the body is no header.
    expect(url('POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n\r\nHost: evil.example\r\n')).toBe('https://127.0.0.1:8443');
    expect(url('GET / HTTP/1.0\r\n\r\n', { localAddress: '::1', localPort: 8443 })).toBe('https://[::1]:8443');
    expect(url('GET / HTTP/1.0\r\n\r\n', {})).toBe('https://localhost');
  });
});

describe('a server that answers plain HTTP', () => {
  it('hands a TLS connection to its own listeners with the first bytes still to read, in order', async () => {
    const { server, handedToTls } = guardedServer();
    const { socket, send } = fakeSocket();
    server.emit('connection', socket);
    send(CLIENT_HELLO_START);
    await new Promise((r) => setImmediate(r));
    expect(handedToTls).toEqual([socket]);
    send(Buffer.from([0x07]));
    await new Promise((r) => setImmediate(r));
    expect(socket.read()).toEqual(Buffer.concat([CLIENT_HELLO_START, Buffer.from([0x07])]));
    // No error listener of the guard is left behind: errors are TLS's to handle, as without it.
    expect(socket.listenerCount('error')).toBe(0);
  });

  it('answers anything else with a 400 naming the https:// URL and closes, without TLS seeing it', async () => {
    const { server, handedToTls } = guardedServer();
    const { socket, send, written } = fakeSocket();
    server.emit('connection', socket);
    send('GET /api/messaging/logs HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n');
    await once(socket, 'finish');
    expect(handedToTls).toEqual([]);
    const answer = written();
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: 'Bad Request',
      code: 10000,
      status: 400,
      message: 'This port speaks HTTPS, not plain HTTP: send the request to https://127.0.0.1:8443 instead.',
    });
  });

  it('closes a connection that sends nothing after the timeout, and one that closes without a byte at once', async () => {
    const { server, handedToTls } = guardedServer(50);
    const silent = fakeSocket();
    server.emit('connection', silent.socket);
    await once(silent.socket, 'close');
    expect(silent.written()).toBe('');
    const gone = fakeSocket();
    server.emit('connection', gone.socket);
    gone.send(null);
    gone.socket.end();
    await once(gone.socket, 'close');
    expect(handedToTls).toEqual([]);
  });

  it('leaves alone a connection refused by a listener that runs before it (the connection caps)', async () => {
    const { server, handedToTls } = guardedServer();
    server.prependListener('connection', (socket: Socket) => socket.destroy());
    const { socket, send } = fakeSocket();
    server.emit('connection', socket);
    send(CLIENT_HELLO_START);
    await new Promise((r) => setImmediate(r));
    expect(handedToTls).toEqual([]);
    expect(socket.listenerCount('readable')).toBe(0);
  });
});
