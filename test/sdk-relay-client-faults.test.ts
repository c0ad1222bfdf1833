/**
 * RelayClient against a scripted RELAY peer, for the faults a real server rarely shows on
 * demand: requests never answered, a server-initiated disconnect with restart, a full queue.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { RelayClient, RelayTimeoutError } from '@switchboard/sdk';

interface Peer {
  readonly url: string;
  readonly connects: any[];
  readonly sockets: WebSocket[];
  close(): Promise<void>;
}

let peer: Peer | undefined;
const clients: RelayClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect()));
  await peer?.close();
  peer = undefined;
});

/** A peer that answers signalwire.connect (protocol P<n>) and nothing else. */
async function scriptedPeer(): Promise<Peer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const connects: any[] = [];
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.method !== 'signalwire.connect') return;
      connects.push(f.params);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: f.id, result: { protocol: `signalwire_sig_P${connects.length}`, identity: 'x', authorization: { signature: 'sig' }, session_restored: false } }));
    });
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    connects,
    sockets,
    close: () => new Promise<void>((r) => {
      for (const s of wss.clients) s.terminate();
      wss.close(() => r());
    }),
  };
}

function client(options: ConstructorParameters<typeof RelayClient>[0] = {}): RelayClient {
  const c = new RelayClient({ project: 'p', token: 't', host: peer!.url, reconnectMinDelayMs: 20, reconnectMaxDelayMs: 50, logger: {}, ...options });
  clients.push(c);
  return c;
}

describe('RelayClient faults', () => {
  // SIGNALWIRE_SPACE=127.0.0.1:8443 (a bare host is ws:// to this SDK) said only "Unexpected server response: 400".
  it('says what a server that refuses the WebSocket upgrade answered, such as an HTTPS port naming its address', async () => {
    const https = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: 'Bad Request', code: 10000, message: 'This port speaks HTTPS, not plain HTTP: send the request to https://127.0.0.1:8443 instead.' }));
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    try {
      const url = `ws://127.0.0.1:${(https.address() as AddressInfo).port}`;
      const c = new RelayClient({ project: 'p', token: 't', host: url, logger: {} });
      clients.push(c);
      await expect(c.connect()).rejects.toThrow(`Cannot reach ${url}/: the server answered 400: This port speaks HTTPS, not plain HTTP: send the request to https://127.0.0.1:8443 instead.`);
    } finally {
      https.closeAllConnections();
      await new Promise((r) => https.close(r));
    }
  });

  it('fails a request with RelayTimeoutError when no answer comes, then replaces the half-open socket and resumes', async () => {
    peer = await scriptedPeer();
    const c = client({ requestTimeoutMs: 200 });
    await c.connect();
    const err = await c.sendMessage({ toNumber: '+15557650000', fromNumber: '+15551230001', body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayTimeoutError);
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.connects).toHaveLength(2);
    expect(peer.connects[1].protocol).toBe('signalwire_sig_P1');
    expect(c.isConnected).toBe(true);
  });

  it('forgets its session when the server disconnects it with restart: true', async () => {
    peer = await scriptedPeer();
    const c = client();
    await c.connect();
    peer.sockets[0]!.send(JSON.stringify({ jsonrpc: '2.0', id: 'd1', method: 'signalwire.disconnect', params: { restart: true } }));
    await new Promise((r) => setTimeout(r, 50));
    peer.sockets[0]!.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.connects).toHaveLength(2);
    expect(peer.connects[1].protocol).toBeUndefined();
    expect(c.relayProtocol).toBe('signalwire_sig_P2');
  });

  it('keeps at most maxQueuedRequests requests while disconnected', async () => {
    peer = await scriptedPeer();
    const c = client({ maxQueuedRequests: 2 });
    const first = c.request('signalwire.ping', {});
    const second = c.request('signalwire.ping', {});
    await expect(c.request('signalwire.ping', {})).rejects.toMatchObject({ code: -1, serverMessage: expect.stringMatching(/limit 2/) });
    await c.disconnect();
    await expect(first).rejects.toMatchObject({ code: -1 });
    await expect(second).rejects.toMatchObject({ code: -1 });
  });

  it('sends contexts, protocol and authorization_state when it reconnects', async () => {
    peer = await scriptedPeer();
    const c = client({ contexts: ['office'] });
    await c.connect();
    peer.sockets[0]!.send(JSON.stringify({ jsonrpc: '2.0', id: 'e1', method: 'signalwire.event', params: { event_type: 'signalwire.authorization.state', params: { authorization_state: 'opaque' } } }));
    await new Promise((r) => setTimeout(r, 50));
    peer.sockets[0]!.terminate();
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.connects[0]).toMatchObject({ version: { major: 2, minor: 0, revision: 0 }, event_acks: true, authentication: { project: 'p', token: 't' }, contexts: ['office'] });
    expect(peer.connects[1]).toMatchObject({ contexts: ['office'], protocol: 'signalwire_sig_P1', authorization_state: 'opaque' });
  });
});
