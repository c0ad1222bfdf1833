/**
 * Greedy RELAY clients on real sockets. What the RELAY sockets of one client address may hold
 * together (`relay.socketMemoryPerAddressBytes`): 127.0.0.2 plays a greedy client with many
 * sockets, 127.0.0.1 another client. Frames sent slowly (partly received) and writes the client
 * does not read both count; past the cap the greedy address's connections holding much are closed
 * (1013) while the other client's are untouched; once a connection has authenticated it counts
 * with its address and project only, so a tenant behind a shared address is not closed for another
 * client's memory. WebSocket pings, answered by the transport itself, draw on the request rate like
 * requests.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { captureLogs } from './helpers/log-capture.js';
import { RawRelay } from './helpers/raw-relay.js';
import { createProject } from './helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const CAP = 1024 * 1024;
const logs = captureLogs();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    { relaySocketMemoryPerAddressBytes: CAP, relayRequestsPerSecond: 10, relayRequestBurst: 20, relayBytesPerSecond: 1 << 30, relayBytesPerSecondPerAddress: 1 << 30 },
    { logger: logs.logger },
  );
});
afterAll(async () => {
  await server?.stop();
});

const LINE = "sockets together over relay.socketMemoryPerAddressBytes";

/** The header of a masked text frame (masking key zero: the payload goes as is) announcing `length` bytes. */
function frameHeader(length: number): Buffer {
  const h = Buffer.alloc(14);
  h[0] = 0x81;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h; // the last 4 bytes: the masking key, zero
}

/** The TCP socket under a client WebSocket, to write a frame's bytes as they are, unfinished. */
function rawSocket(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/** A WebSocket from `localAddress` that has sent `sent` bytes of a frame announcing `length` bytes. */
async function partialFrame(localAddress: string, length: number, sent: number): Promise<{ ws: WebSocket; code: Promise<number>; rest: Buffer }> {
  const ws = new WebSocket(server.url.replace(/^http/, 'ws'), { localAddress });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
  ws.on('error', () => {});
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'signalwire.ping', params: { payload: 'x'.repeat(length) } }));
  const whole = Buffer.concat([frameHeader(body.length), body]);
  rawSocket(ws).write(whole.subarray(0, 14 + sent));
  return { ws, code, rest: whole.subarray(14 + sent) };
}

describe('greedy RELAY clients', () => {
  it('closes (1013) the sockets of an address whose partly received frames pass its cap, not another address\'s', async () => {
    // Another client, mid-frame too (160 kB of a 200 kB request), but alone on its address.
    const other = await partialFrame('127.0.0.1', 200_000, 160_000);
    // The greedy address: 10 sockets each 160 kB into a frame, 1.6 MB together, over the 1 MiB cap.
    const greedy = await Promise.all(Array.from({ length: 10 }, () => partialFrame('127.0.0.2', 200_000, 160_000)));
    const closed = await eventually(async () => {
      const codes = await Promise.all(greedy.map((g) => Promise.race([g.code, new Promise<number>((r) => setTimeout(() => r(0), 20))])));
      return codes.filter((c) => c !== 0).length >= 4 ? codes : undefined;
    }, 5_000, 'the greedy address\'s sockets to be closed');
    expect(closed.filter((c) => c !== 0).every((c) => c === 1013 || c === 1006)).toBe(true);
    // What is left of the address fits its cap, and the node has logged it.
    await eventually(() => (server.relay.socketMemoryOf('127.0.0.2') <= CAP ? true : undefined), 5_000, 'the address to fit its cap');
    expect(logs.matching(LINE)[0]).toMatchObject({ level: 40, address: '127.0.0.2', limitBytes: CAP, closeCode: 1013 });
    expect(logs.matching(LINE).every((l) => l.address === '127.0.0.2')).toBe(true);
    // The other client finishes its frame and is answered.
    let answer = '';
    other.ws.on('message', (d) => (answer = d.toString()));
    rawSocket(other.ws).write(other.rest);
    await eventually(() => (answer.includes('"id":"big"') ? true : undefined), 5_000, 'the other client\'s answer');
    expect(JSON.parse(answer)).toMatchObject({ id: 'big', error: { code: -32002 } });
    other.ws.terminate();
    for (const g of greedy) g.ws.terminate();
  });

  it("does not close a tenant's connection for what other clients of its address hold", async () => {
    // Behind one address (a NAT): a client holds 20 sockets each 60 kB into a frame, 1.2 MB together,
    // over the 1 MiB cap, each under the 64 KiB a socket must hold before it is looked at.
    const greedy = await Promise.all(Array.from({ length: 20 }, () => partialFrame('127.0.0.3', 200_000, 60_000)));
    await eventually(() => (server.relay.socketMemoryOf('127.0.0.3') > CAP ? true : undefined), 5_000, 'the greedy sockets to hold their frames');
    // A tenant on the same address sends one large request, slowly.
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, {}, { localAddress: '127.0.0.3' });
    try {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'large', method: 'signalwire.ping', params: { payload: 'y'.repeat(200_000) } }));
      const whole = Buffer.concat([frameHeader(body.length), body]);
      rawSocket(relay.ws).write(whole.subarray(0, 14 + 160_000));
      await eventually(() => (server.relay.socketMemoryOf('127.0.0.3', PROJECT_ID) > 100_000 || relay.closeCode !== undefined ? true : undefined), 5_000, 'the large frame to arrive');
      rawSocket(relay.ws).write(whole.subarray(14 + 160_000));
      const answer = await relay.waitFor((f) => f.id === 'large');
      expect(answer.result?.payload).toHaveLength(1024);
      expect(relay.closeCode).toBeUndefined();
    } finally {
      relay.ws.terminate();
      for (const g of greedy) g.ws.terminate();
    }
  });

  it('counts WebSocket pings on the request rate: a ping flood stops being read, and the connection goes on', async () => {
    const limited = async () => Number(/switchboard_relay_limited_total\{limit="rate"\} (\d+)/.exec((await server.api('/metrics', { auth: null })).text)?.[1] ?? 0);
    const before = await limited();
    const ws = new WebSocket(server.url.replace(/^http/, 'ws'));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let pongs = 0;
    ws.on('pong', () => void pongs++);
    // Fewer than ws's 60 pongs pending at once, past which it drops a client that does not read them.
    for (let i = 0; i < 40; i++) ws.ping(Buffer.alloc(125));
    await eventually(async () => ((await limited()) > before ? true : undefined), 5_000, 'the ping flood to be limited');
    // Read again within the rate: every ping is answered in the end.
    await eventually(() => (pongs === 40 ? true : undefined), 10_000, 'every pong');
    ws.terminate();
  });
});

describe("a client flooding requests over many connections of its address", () => {
  it("shares the request rate among the address's connections; another address, and another project at the same address, are answered", async () => {
    // Each connection has a burst of 20 requests (its connect takes one), the address's connections
    // of one project 4 × 20 together. 8 connections each sending 19 pings at once stayed within
    // their own rates: all 152 were answered, and 50 connections doing so kept the node's thread.
    const CONNECTIONS = 8;
    const PINGS = 19;
    const other = await createProject(server, { name: 'Tenant behind the same address' });
    const greedy = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, {}, { localAddress: '127.0.0.6' })));
    try {
      for (const [c, { relay }] of greedy.entries()) for (let i = 0; i < PINGS; i++) relay.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: `g${c}-${i}`, method: 'signalwire.ping', params: {} }));
      const answers = await Promise.all(greedy.map(({ relay }, c) => Promise.all(Array.from({ length: PINGS }, (_, i) => relay.waitFor((f) => f.id === `g${c}-${i}`, 15_000)))));
      const refused = answers.flat().filter((f) => f.error);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]!.error).toMatchObject({ code: -32005, message: expect.stringContaining('from this address'), data: { retry_after_ms: expect.any(Number) } });
      expect(answers.flat().filter((f) => f.result).length).toBeGreaterThan(0);
      expect(greedy.every(({ relay }) => relay.closeCode === undefined)).toBe(true);
      // The same project from another address, and another project behind the greedy address, are answered.
      const elsewhere = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, {}, { localAddress: '127.0.0.1' });
      const neighbour = await RawRelay.connected(server.url, other.projectId, other.token, {}, { localAddress: '127.0.0.6' });
      for (const { relay } of [elsewhere, neighbour]) for (let i = 0; i < 10; i++) expect((await relay.call('signalwire.ping', {})).result).toBeDefined();
      const sent = await elsewhere.relay.call('messaging.send', { context: 'default', from_number: NUMBERS[0], to_number: '+15557001236', body: 'beside the flood' });
      expect(sent.result?.message_id).toEqual(expect.any(String));
      elsewhere.relay.ws.terminate();
      neighbour.relay.ws.terminate();
    } finally {
      for (const { relay } of greedy) relay.ws.terminate();
    }
  });
});

describe('a client flooding the byte budget of its address before it authenticates', () => {
  it("does not keep a tenant behind the same address from connecting", async () => {
    // The address budget before authentication is the address's alone: frames sent by sockets that
    // never authenticate kept it in debt, and every signalwire.connect from that address (a NAT, a
    // shared egress) was refused -32005 for as long as they went on.
    const small = await startTestServer({ relayBytesPerSecond: 1 << 20, relayBytesPerSecondPerAddress: 65_536, relayMaxFrameBytes: 65_536 });
    const greedy: WebSocket[] = [];
    let flooding = true;
    try {
      const frame = JSON.stringify({ jsonrpc: '2.0', id: 'flood', method: 'signalwire.ping', params: { payload: 'z'.repeat(60_000) } });
      let refused = 0;
      for (let i = 0; i < 4; i++) {
        const ws = new WebSocket(small.url.replace(/^http/, 'ws'), { localAddress: '127.0.0.5' });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        ws.on('error', () => {});
        ws.on('message', (d) => void (d.toString().includes('Too many bytes') && refused++));
        greedy.push(ws);
        void (async () => {
          while (flooding && ws.readyState === WebSocket.OPEN) {
            if (ws.bufferedAmount < 256 * 1024) ws.send(frame);
            await new Promise((r) => setTimeout(r, 10));
          }
        })();
      }
      await eventually(() => (refused >= 4 ? true : undefined), 10_000, "the address's budget to be spent");
      const { relay, result } = await RawRelay.connected(small.url, PROJECT_ID, API_TOKEN, {}, { localAddress: '127.0.0.5' });
      expect(result.authorization.project).toBe(PROJECT_ID);
      relay.ws.terminate();
    } finally {
      flooding = false;
      for (const ws of greedy) ws.terminate();
      await small.stop();
    }
  });
});
