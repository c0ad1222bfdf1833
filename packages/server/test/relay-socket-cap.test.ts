/**
 * A RELAY client that sends and never reads costs the node a bounded amount of memory: everything
 * written to its socket (replies as well as events) is capped. Past an eighth of the cap the server
 * stops reading the client's requests; past the cap the client is closed (1013) and logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from './helpers/log-capture.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const CAP = 256 * 1024;
const logs = captureLogs();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ relayMaxSocketBufferBytes: CAP, relayRequestsPerSecond: 1_000_000, relayRequestBurst: 1_000_000, relayBytesPerSecond: 1 << 30, relayBytesPerSecondPerAddress: 1 << 30 }, { logger: logs.logger });
});
afterAll(async () => {
  await server?.stop();
});

const CLOSED_LINE = 'RELAY client closed: it does not read';

/**
 * A client that sends `frames` requests while it reads nothing, then reads: every one is answered,
 * and no socket held more than `cap`; `whilePaused` checks the moment the server stopped reading.
 */
async function pausedThenRead(server: TestServer, cap: number, frames: number, whilePaused: (relay: RawRelay) => void = () => {}): Promise<void> {
  const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
  try {
    let replies = 0;
    relay.ws.on('message', () => void replies++);
    relay.ws.pause();
    const payload = 'p'.repeat(1000);
    for (let i = 0; i < frames; i++) relay.ws.send(`{"jsonrpc":"2.0","id":${i},"method":"signalwire.ping","params":{"payload":"${payload}"}}`);
    await eventually(() => (server.relay.pausedConnectionCount > 0 ? true : undefined), 15_000, 'the server to stop reading');
    whilePaused(relay);
    relay.ws.resume();
    await eventually(() => (replies >= frames ? true : undefined), 30_000, 'every reply');
    expect(server.relay.peakSocketBufferedBytes).toBeGreaterThan(cap / 8);
    expect(server.relay.peakSocketBufferedBytes).toBeLessThanOrEqual(cap);
  } finally {
    await relay.cut();
  }
}

describe('RELAY socket buffer cap', () => {
  // Reading resumed on the socket's 'drain', which follows only a write over the socket's high-water
  // mark: 16 KiB on Node 20, 64 KiB from Node 22. A pause below it (at an eighth of the cap) lasted
  // for ever: on Node 22 and 24 with the 256 KiB cap of the next test, on Node 20 too with this one.
  it('goes on reading a paused client whose replies are written out, with the smallest cap', async () => {
    const small = await startTestServer({ relayMaxSocketBufferBytes: 65_536, relayRequestsPerSecond: 1_000_000, relayRequestBurst: 1_000_000, relayBytesPerSecond: 1 << 30, relayBytesPerSecondPerAddress: 1 << 30 });
    try {
      await pausedThenRead(small, 65_536, 5_000);
    } finally {
      await small.stop();
    }
  });

  it('stops reading a client that sends requests and never reads the replies, then answers every request once it reads again', async () => {
    // 20 MB of replies nobody reads: the server stops reading this client before queueing more than the cap.
    await pausedThenRead(server, CAP, 20_000, (relay) => {
      expect(server.relay.socketBufferedBytes).toBeLessThanOrEqual(CAP);
      expect(relay.ws.bufferedAmount).toBeGreaterThan(0);
    });
    expect(logs.matching(CLOSED_LINE)).toEqual([]);
  });

  it('closes (1013) a client whose events pile up past the cap, logs it once, and the node forgets the connection', async () => {
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { event_acks: false });
    const before = server.relay.connectionCount;
    relay.ws.pause();
    const body = 'e'.repeat(1600);
    // Each send gets a reply and four events (queued, initiated, sent, delivered) that repeat the body.
    for (let i = 0; i < 800; i++) relay.ws.send(JSON.stringify({ jsonrpc: '2.0', id: `s${i}`, method: 'messaging.send', params: { to_number: '+15557720001', from_number: NUMBERS[0], body } }));
    const [line] = await eventually(() => (logs.matching(CLOSED_LINE).length ? logs.matching(CLOSED_LINE) : undefined), 30_000, 'the close');
    expect(line).toMatchObject({ level: 40, address: '127.0.0.1', project: PROJECT_ID, limitBytes: CAP, closeCode: 1013 });
    // Nothing more is queued once over the cap: at most one frame past it.
    expect(line!.queuedBytes).toBeGreaterThan(CAP);
    expect(line!.queuedBytes).toBeLessThan(CAP + 8 * 1024);
    await eventually(() => (server.relay.connectionCount < before ? true : undefined), 10_000, 'the connection to be dropped');
    expect(logs.matching(CLOSED_LINE)).toHaveLength(1);
    await relay.cut();
  });
});
