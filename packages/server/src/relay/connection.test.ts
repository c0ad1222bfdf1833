import { describe, expect, it } from 'vitest';
import { noopRelayMetrics } from '../domain/ports/metrics.js';
import { AddressByteBudgets } from './address-bytes.js';
import { RelayConnection, type ConnectionHost, type Reply } from './connection.js';
import { RELAY_CONSTANTS, type RelayLimits } from './limits.js';
import type { RelayTransport } from './transport.js';

const limits: RelayLimits = {
  maxFrameBytes: 4096,
  maxSessionsPerProject: 10,
  requestsPerSecond: 100,
  requestBurst: 100,
  bytesPerSecond: 200_000,
  bytesPerSecondPerAddress: 300_000,
  resumeWindowMs: 1000,
  catchUpWindowMs: 0,
  eventBufferSize: 10,
  bufferMemoryBytes: 1 << 20,
  pingIntervalMs: 5000,
  maxSocketBufferBytes: 80_000,
  socketMemoryPerAddressBytes: 1 << 30,
  stateEventGapMs: 5,
};

/** A socket that never writes anything out unless told to: every frame stays queued. */
class FakeTransport implements RelayTransport {
  sent: any[] = [];
  closedWith: [number, string] | undefined;
  terminated = false;
  bufferedAmount = 0;
  receivingBytes = 0;
  paused = false;
  constructor(readonly remoteAddress = '192.0.2.7') {}
  /** The client reads everything at once: nothing stays queued. */
  writesOut = false;
  send(frame: string): void {
    this.sent.push(JSON.parse(frame));
    if (!this.writesOut) this.bufferedAmount += Buffer.byteLength(frame);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
  }
  terminate(): void {
    this.terminated = true;
  }
}

/** A connection on the manual clock; `node` shares the clock and the address budgets between connections. */
function setup(dispatch: ConnectionHost['dispatch'], address?: string, node: { now: number; budgets: AddressByteBudgets; socketsOver?: boolean; addressOver?: boolean } = { now: 1_000_000, budgets: new AddressByteBudgets({ bytesPerSecond: limits.bytesPerSecondPerAddress, byteBurst: limits.bytesPerSecondPerAddress }) }) {
  const transport = new FakeTransport(address);
  const warnings: Array<{ facts: Record<string, unknown>; what: string }> = [];
  const host: ConnectionHost = {
    dispatch,
    connectionClosed: () => {},
    limits,
    metrics: noopRelayMetrics,
    now: () => node.now,
    joinBytes: (a, project) => node.budgets.join(a, project, node.now),
    leaveBytes: (share) => node.budgets.leave(share, node.now),
    warn: () => {},
    socketsOverNodeCap: () => node.socketsOver ?? false,
    addressOverMemory: () => node.addressOver ?? false,
    memoryMoved: () => {},
    limited: (facts, what) => warnings.push({ facts, what }),
  };
  const conn = new RelayConnection(transport, host);
  return { conn, transport, warnings, node, advance: (ms: number) => (node.now += ms), now: () => node.now };
}

const frame = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('RelayConnection', () => {
  it('closes a connection that does not complete signalwire.connect in time', () => {
    const { conn, transport, advance, now } = setup(() => ({ result: {} }));
    advance(RELAY_CONSTANTS.connectTimeoutMs - 1);
    conn.tick(now());
    expect(transport.closedWith).toBeUndefined();
    advance(2);
    conn.tick(now());
    expect(transport.closedWith?.[0]).toBe(1008);
  });

  it('pings an open connection every interval and drops it when a ping goes unanswered', () => {
    const { conn, transport, advance, now } = setup(() => ({ result: {} }));
    conn.state = 'open';
    advance(limits.pingIntervalMs);
    conn.tick(now());
    const ping = transport.sent.find((f) => f.method === 'signalwire.ping');
    expect(ping?.params.timestamp).toBeCloseTo(now() / 1000);
    conn.receive(frame({ jsonrpc: '2.0', id: ping.id, result: {} }), false);
    advance(RELAY_CONSTANTS.pingTimeoutMs + 1);
    conn.tick(now());
    expect(transport.terminated).toBe(false);
    expect(transport.sent.filter((f) => f.method === 'signalwire.ping')).toHaveLength(2);
    advance(RELAY_CONSTANTS.pingTimeoutMs + 1);
    conn.tick(now());
    expect(transport.terminated).toBe(true);
  });

  it('answers a request still running at the deadline with -32000, and drops the late answer', async () => {
    let finish!: (r: Reply) => void;
    const { conn, transport, advance, now } = setup(() => new Promise<Reply>((r) => (finish = r)));
    conn.receive(frame({ jsonrpc: '2.0', id: 'slow', method: 'messaging.send', params: {} }), false);
    advance(RELAY_CONSTANTS.requestTimeoutMs);
    conn.tick(now());
    expect(transport.sent).toEqual([{ jsonrpc: '2.0', id: 'slow', error: { code: -32000, message: expect.any(String) } }]);
    finish({ result: { code: '200' } });
    await new Promise((r) => setImmediate(r));
    expect(transport.sent).toHaveLength(1);
  });

  it('counts a request answered -32000 at the deadline against the requests in flight until its work ends', async () => {
    // Sends waiting for their project's turn: the client is told -32000, the work goes on.
    const finishers: Array<() => void> = [];
    const { conn, transport, advance, now } = setup(() => new Promise<Reply>((r) => finishers.push(() => r({ result: { code: '200' } }))));
    transport.writesOut = true;
    // Past the connect deadline: as if connected.
    conn.state = 'open';
    const send = (id: string) => conn.receive(frame({ jsonrpc: '2.0', id, method: 'messaging.send', params: {} }), false);
    for (let i = 0; i < RELAY_CONSTANTS.maxInFlight; i++) {
      if (i % limits.requestBurst === 0) advance(1000);
      send(`s${i}`);
    }
    advance(RELAY_CONSTANTS.requestTimeoutMs);
    conn.tick(now());
    expect(transport.sent.filter((f) => f.error?.code === -32000)).toHaveLength(RELAY_CONSTANTS.maxInFlight);
    // Their work still runs: no room for more.
    send('more');
    expect(transport.sent.at(-1)).toEqual({ jsonrpc: '2.0', id: 'more', error: { code: -32005, message: expect.stringContaining('in flight') } });
    expect(finishers).toHaveLength(RELAY_CONSTANTS.maxInFlight);
    // Once one ends (its late answer dropped), there is room for one.
    finishers[0]!();
    await new Promise((r) => setImmediate(r));
    const written = transport.sent.length;
    send('room');
    expect(transport.sent).toHaveLength(written);
    expect(finishers).toHaveLength(RELAY_CONSTANTS.maxInFlight + 1);
  });

  it('charges WebSocket pings on the request rate and the byte budgets, pongs on the byte budgets only, pausing reads when over', () => {
    const { conn, transport, advance, now } = setup(() => ({ result: {} }));
    for (let i = 0; i < limits.requestBurst; i++) conn.controlFrame(131, true);
    expect(conn.isPaused).toBe(false);
    conn.controlFrame(131, true);
    expect(conn.isPaused).toBe(true);
    expect(transport.paused).toBe(true);
    // Unanswered by JSON-RPC: nothing written.
    expect(transport.sent).toEqual([]);
    advance(1000);
    conn.tick(now());
    expect(conn.isPaused).toBe(false);
    // Pongs need no answer: only their bytes count.
    for (let i = 0; i < 2 * limits.requestBurst; i++) conn.controlFrame(131, false);
    expect(conn.isPaused).toBe(false);
    conn.controlFrame(limits.bytesPerSecond, false);
    expect(conn.isPaused).toBe(true);
  });

  it('closes (1013) a connection whose signalwire.connect is still running at the deadline', () => {
    const { conn, transport, advance, now } = setup(() => new Promise<Reply>(() => {}));
    conn.receive(frame({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: {} }), false);
    advance(RELAY_CONSTANTS.requestTimeoutMs);
    conn.tick(now());
    expect(transport.sent).toEqual([{ jsonrpc: '2.0', id: 'c', error: { code: -32000, message: expect.any(String) } }]);
    expect(transport.closedWith?.[0]).toBe(1013);
  });

  it("handles requests sent before signalwire.connect's answer once it is answered, in order", async () => {
    // SignalWire's SDKs send queued requests as soon as the socket is open, before the connect's answer.
    let finish!: (r: Reply) => void;
    const seen: Array<[string, string]> = [];
    const { conn, transport } = setup((c, method) => {
      seen.push([method, c.state]);
      if (method !== 'signalwire.connect') return { result: { code: '200', state: c.state } };
      c.state = 'connecting';
      return new Promise<Reply>((r) => (finish = r));
    });
    conn.receive(frame({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: {} }), false);
    conn.receive(frame({ jsonrpc: '2.0', id: 's1', method: 'messaging.send', params: {} }), false);
    conn.receive(frame({ jsonrpc: '2.0', id: 's2', method: 'messaging.send', params: {} }), false);
    expect(transport.sent).toEqual([]);
    expect(transport.paused).toBe(true);

    conn.state = 'open';
    finish({ result: { protocol: 'p' } });
    await new Promise((r) => setImmediate(r));
    expect(transport.sent.map((f) => f.id)).toEqual(['c', 's1', 's2']);
    expect(transport.sent[1].result.state).toBe('open');
    expect(seen).toEqual([['signalwire.connect', 'awaiting'], ['messaging.send', 'open'], ['messaging.send', 'open']]);
    expect(transport.paused).toBe(false);
    // Later requests are handled at once again.
    conn.receive(frame({ jsonrpc: '2.0', id: 's3', method: 'messaging.send', params: {} }), false);
    expect(transport.sent.map((f) => f.id)).toEqual(['c', 's1', 's2', 's3']);
  });

  it('answers requests held behind a connect that failed after its error, as the dispatcher sees them', async () => {
    const { conn, transport } = setup((c, method) => {
      if (method !== 'signalwire.connect') return { result: { state: c.state } };
      c.state = 'connecting';
      return Promise.resolve().then(() => {
        c.state = 'awaiting';
        throw new Error('store down');
      });
    });
    conn.receive(frame({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: {} }), false);
    conn.receive(frame({ jsonrpc: '2.0', id: 's', method: 'messaging.send', params: {} }), false);
    await new Promise((r) => setImmediate(r));
    expect(transport.sent).toEqual([
      { jsonrpc: '2.0', id: 'c', error: { code: -32603, message: 'Internal error.' } },
      { jsonrpc: '2.0', id: 's', result: { state: 'awaiting' } },
    ]);
  });

  it('reads again when it closes a connection whose connect is held, so the close handshake can finish', async () => {
    const { conn, transport, advance, now } = setup(() => new Promise<Reply>(() => {}));
    conn.receive(frame({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: {} }), false);
    expect(transport.paused).toBe(true);
    advance(RELAY_CONSTANTS.requestTimeoutMs);
    conn.tick(now());
    expect(transport.closedWith?.[0]).toBe(1013);
    expect(transport.paused).toBe(false);
  });

  it('turns an unexpected handler failure into -32603 and keeps going', async () => {
    const { conn, transport } = setup(() => Promise.reject(new Error('boom')));
    conn.receive(frame({ jsonrpc: '2.0', id: 7, method: 'x', params: {} }), false);
    await new Promise((r) => setImmediate(r));
    expect(transport.sent[0]).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32603, message: 'Internal error.' } });
    expect(transport.closedWith).toBeUndefined();
  });

  it('ignores answers to requests it never sent', () => {
    const { conn, transport } = setup(() => ({ result: {} }));
    conn.receive(frame({ jsonrpc: '2.0', id: 'unknown', result: {} }), false);
    conn.receive(frame({ jsonrpc: '2.0', id: 'unknown', error: { code: 1, message: 'x' } }), false);
    expect(transport.sent).toEqual([]);
  });

  it('never answers an answer, not even an error answer with id null or one without "jsonrpc"', () => {
    const { conn, transport } = setup(() => ({ result: {} }));
    // What a peer sends back for a frame it could not read: answering it could bounce for ever.
    conn.receive(frame({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }), false);
    conn.receive(frame({ id: 'e1', result: {} }), false);
    conn.receive(frame({ jsonrpc: '1.0', id: 3, error: null }), false);
    expect(transport.sent).toEqual([]);
    // A request is still told what is wrong with it.
    conn.receive(frame({ jsonrpc: '1.0', id: 4, method: 'signalwire.ping' }), false);
    expect(transport.sent).toEqual([{ jsonrpc: '2.0', id: 4, error: { code: -32600, message: expect.stringContaining('"jsonrpc"') } }]);
  });

  describe('the socket buffer cap (replies and events alike)', () => {
    const echo: ConnectionHost['dispatch'] = (_conn, _method, params) => ({ result: params });
    const request = (id: number, payload = 'x'.repeat(1000)) => frame({ jsonrpc: '2.0', id, method: 'signalwire.ping', params: { payload } });

    it('stops reading requests once replies pile up past an eighth of the cap, and goes on when the socket drains', () => {
      const { conn, transport } = setup(echo);
      let id = 0;
      while (!conn.isPaused) conn.receive(request(++id), false);
      expect(transport.paused).toBe(true);
      expect(transport.bufferedAmount).toBeGreaterThan(limits.maxSocketBufferBytes / 8);
      const answered = transport.sent.length;
      // Frames the transport still delivers are held, not processed.
      for (let i = 0; i < 20; i++) conn.receive(request(++id), false);
      expect(transport.sent).toHaveLength(answered);
      // Written out only up to an earlier point, the rest still over the mark: still paused.
      conn.drained();
      expect(conn.isPaused).toBe(true);
      expect(transport.sent).toHaveLength(answered);
      // Each drain lets through what fits before the queue passes the mark again.
      transport.bufferedAmount = 0;
      conn.drained();
      expect(transport.paused).toBe(true);
      expect(transport.sent.length).toBeGreaterThan(answered);
      while (transport.paused) {
        transport.bufferedAmount = 0;
        conn.drained();
      }
      expect(transport.sent.map((f) => f.id)).toEqual(Array.from({ length: answered + 20 }, (_, i) => i + 1));
    });

    // 256 sockets an address, each under its own 8 MiB cap, held about 2 GiB from one address (more from several).
    it("closes (1013) a client past its read pause while the node's sockets together queue more than bufferMemoryBytes, and only such a client", () => {
      const node = { now: 1_000_000, budgets: new AddressByteBudgets({ bytesPerSecond: limits.bytesPerSecondPerAddress, byteBurst: limits.bytesPerSecondPerAddress }), socketsOver: true };
      const reading = setup(echo, '192.0.2.8', node);
      // A client whose queue stays short is not touched, whatever the node holds.
      reading.conn.receive(request(1), false);
      expect(reading.transport.closedWith).toBeUndefined();
      const { conn, transport, warnings } = setup(echo, '192.0.2.7', node);
      let id = 0;
      while (!transport.closedWith && id < 1000) conn.receive(request(++id), false);
      expect(transport.closedWith?.[0]).toBe(1013);
      // Closed at the read pause, long before its own cap.
      expect(transport.bufferedAmount).toBeLessThan(limits.maxSocketBufferBytes / 8 + 1100);
      expect(warnings).toEqual([{ facts: expect.objectContaining({ limitBytes: limits.bufferMemoryBytes, closeCode: 1013 }), what: expect.stringContaining('relay.bufferMemoryBytes') }]);
    });

    // 256 sockets of one address, each under its read pause, held 256 MiB: the node's whole cap.
    it("closes (1013) a client holding 64 KiB or more while its address's sockets together hold more than socketMemoryPerAddressBytes, as it writes or on a tick", async () => {
      const node = { now: 1_000_000, budgets: new AddressByteBudgets({ bytesPerSecond: limits.bytesPerSecondPerAddress, byteBurst: limits.bytesPerSecondPerAddress }), addressOver: true };
      const short = setup(echo, '192.0.2.7', node);
      // A client whose queue stays short is not touched.
      short.conn.receive(request(1), false);
      expect(short.transport.closedWith).toBeUndefined();
      const finishers: Array<() => void> = [];
      const { conn, transport, warnings } = setup((_conn, _method, params) => new Promise<Reply>((r) => finishers.push(() => r({ result: params }))), '192.0.2.7', node);
      for (let id = 1; id <= 100; id++) conn.receive(request(id), false);
      for (const finish of finishers) finish();
      await new Promise((r) => setImmediate(r));
      expect(transport.closedWith?.[0]).toBe(1013);
      // Closed at 64 KiB, before its own cap.
      expect(transport.bufferedAmount).toBeLessThan(64 * 1024 + 1100);
      expect(warnings).toEqual([{ facts: expect.objectContaining({ address: '192.0.2.7', limitBytes: limits.socketMemoryPerAddressBytes, closeCode: 1013 }), what: expect.stringContaining('relay.socketMemoryPerAddressBytes') }]);
      // One that stopped writing is found by the housekeeping tick.
      short.transport.bufferedAmount = 70_000;
      short.conn.tick(node.now);
      expect(short.transport.closedWith?.[0]).toBe(1013);
      // And one with a large frame partly received, as more of it arrives.
      const receiving = setup(echo, '192.0.2.7', node);
      receiving.transport.receivingBytes = 70_000;
      receiving.conn.receiving();
      expect(receiving.transport.closedWith?.[0]).toBe(1013);
    });

    it("closes (1013) a client 64 KiB or more into a frame while the node's sockets are over bufferMemoryBytes, and only such a client", () => {
      const node = { now: 1_000_000, budgets: new AddressByteBudgets({ bytesPerSecond: limits.bytesPerSecondPerAddress, byteBurst: limits.bytesPerSecondPerAddress }), socketsOver: true };
      const fits = setup(echo, '192.0.2.8', node);
      // Under 64 KiB a partial frame is not looked at.
      fits.transport.receivingBytes = 64 * 1024 - 1;
      fits.conn.receiving();
      expect(fits.transport.closedWith).toBeUndefined();
      const big = setup(echo, '192.0.2.9', node);
      big.transport.receivingBytes = 64 * 1024;
      big.conn.receiving();
      expect(big.transport.closedWith?.[0]).toBe(1013);
      expect(big.warnings).toEqual([{ facts: expect.objectContaining({ limitBytes: limits.bufferMemoryBytes, heldBytes: big.transport.receivingBytes }), what: expect.stringContaining('relay.bufferMemoryBytes') }]);
    });

    it('closes (1013) a client whose queue passes the cap, writes nothing more, logs once, and drops it if the close cannot get out', async () => {
      const finishers: Array<() => void> = [];
      const { conn, transport, warnings, advance, now } = setup((_conn, _method, params) => new Promise<Reply>((r) => finishers.push(() => r({ result: params }))));
      // Requests read before the pause: their replies arrive later, while reading is paused.
      for (let id = 1; id <= 100; id++) conn.receive(request(id), false);
      for (const finish of finishers) finish();
      await new Promise((r) => setImmediate(r));
      expect(transport.closedWith?.[0]).toBe(1013);
      expect(transport.bufferedAmount).toBeLessThanOrEqual(limits.maxSocketBufferBytes + 1100);
      expect(conn.peakBufferedBytes).toBe(transport.bufferedAmount);
      const written = transport.sent.length;
      expect(written).toBeLessThan(100);
      conn.send(JSON.stringify({ jsonrpc: '2.0', id: 'late', result: {} }));
      conn.receive(request(1000), false);
      expect(transport.sent).toHaveLength(written);
      expect(warnings).toEqual([{ facts: expect.objectContaining({ address: '192.0.2.7', limitBytes: limits.maxSocketBufferBytes, closeCode: 1013 }), what: expect.stringContaining('does not read') }]);
      advance(RELAY_CONSTANTS.closeGraceMs);
      conn.tick(now());
      expect(transport.terminated).toBe(true);
    });
  });
});

describe('RelayConnection: floods of garbage and of requests', () => {
  const echo: ConnectionHost['dispatch'] = (_conn, _method, params) => ({ result: params ?? {} });
  const ping = (id: number) => frame({ jsonrpc: '2.0', id, method: 'signalwire.ping', params: {} });
  const reading = () => {
    const s = setup(echo);
    s.transport.writesOut = true;
    return s;
  };

  it(`closes (1008) a client past ${RELAY_CONSTANTS.invalidFrameBurst} invalid frames, answering each before, reading nothing after, logging once`, () => {
    const { conn, transport, warnings } = reading();
    const garbage = [Buffer.from('{'), Buffer.from('[]'), Buffer.from('{"jsonrpc":"2.0","method":"m"}'), Buffer.from('x'.repeat(limits.maxFrameBytes + 1))];
    for (let i = 0; i < RELAY_CONSTANTS.invalidFrameBurst; i++) conn.receive(garbage[i % garbage.length]!, false);
    expect(transport.sent).toHaveLength(RELAY_CONSTANTS.invalidFrameBurst);
    expect(new Set(transport.sent.map((f) => f.error.code))).toEqual(new Set([-32700, -32600]));
    expect(transport.closedWith).toBeUndefined();
    conn.receive(Buffer.from('{}'), true);
    expect(transport.closedWith).toEqual([1008, expect.stringContaining('too many invalid frames')]);
    for (let i = 0; i < 50; i++) conn.receive(ping(i), false);
    expect(transport.sent).toHaveLength(RELAY_CONSTANTS.invalidFrameBurst);
    expect(warnings).toEqual([{ facts: expect.objectContaining({ address: '192.0.2.7', closeCode: 1008 }), what: expect.stringContaining('invalid frames') }]);
  });

  it('lets a client that sends an invalid frame now and then keep going (the budget refills)', () => {
    const { conn, transport, advance } = reading();
    for (let i = 0; i < RELAY_CONSTANTS.invalidFrameBurst * 3; i++) {
      conn.receive(Buffer.from('{'), false);
      conn.receive(ping(i), false);
      advance(1000 / RELAY_CONSTANTS.invalidFramesPerSecond);
    }
    expect(transport.closedWith).toBeUndefined();
    expect(transport.sent.filter((f) => f.result)).toHaveLength(RELAY_CONSTANTS.invalidFrameBurst * 3);
  });

  it('charges invalid and binary frames to the request rate; over it, answers -32005 once and reads nothing until a tick finds room', () => {
    const { conn, transport, advance, now } = reading();
    for (let i = 0; i < 40; i++) conn.receive(Buffer.from('{'), i % 2 === 1);
    for (let i = 0; i < 100; i++) conn.receive(ping(i), false);
    // 100 tokens: 40 invalid frames, 60 pings; the 61st ping is refused and the rest wait unread.
    expect(transport.sent.filter((f) => f.result)).toHaveLength(60);
    expect(transport.sent.filter((f) => f.error?.code === -32005)).toEqual([{ jsonrpc: '2.0', id: 60, error: { code: -32005, message: expect.any(String), data: { retry_after_ms: 10 } } }]);
    expect(transport.paused).toBe(true);
    expect(conn.isPaused).toBe(true);
    expect(transport.sent).toHaveLength(101);
    // A second later the bucket holds 100 again: the 39 held pings are answered, in order.
    advance(1000);
    conn.tick(now());
    expect(transport.paused).toBe(false);
    expect(transport.sent.slice(101).map((f) => f.id)).toEqual(Array.from({ length: 39 }, (_, i) => i + 61));
    expect(transport.closedWith).toBeUndefined();
  });

  it('does not charge the client’s answers (acks, pongs) to the rate', () => {
    const { conn, transport } = reading();
    for (let i = 0; i < 500; i++) conn.receive(frame({ jsonrpc: '2.0', id: `e${i}`, result: {} }), false);
    conn.receive(ping(1), false);
    expect(transport.sent).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
  });

  describe('bytes per second (parsing costs by the byte)', () => {
    /** A ping of exactly 4,000 bytes: within the frame size and the request rate, but large. */
    const big = (id: number) => {
      const head = `{"jsonrpc":"2.0","id":${id},"method":"signalwire.ping","params":{"pad":"`;
      return Buffer.from(`${head}${'x'.repeat(4000 - head.length - 3)}"}}`);
    };
    const limited = (t: FakeTransport) => t.sent.filter((f) => f.error?.code === -32005);

    it('answers -32005 once a connection has sent its bytes for the second, reads nothing more until a tick finds room, then goes on in order', () => {
      const { conn, transport, advance, now } = reading();
      expect(big(0).length).toBe(4000);
      for (let i = 0; i < 60; i++) conn.receive(big(i), false);
      // 200,000 bytes: 50 frames of 4,000 (60 is within the request rate); the 51st is refused unparsed, the rest wait unread.
      expect(transport.sent.filter((f) => f.result)).toHaveLength(50);
      expect(limited(transport)).toEqual([{ jsonrpc: '2.0', id: 50, error: { code: -32005, message: expect.stringContaining('bytes'), data: { retry_after_ms: 20 } } }]);
      expect(transport.paused).toBe(true);
      advance(1000);
      conn.tick(now());
      expect(transport.sent.slice(51).map((f) => f.id)).toEqual(Array.from({ length: 9 }, (_, i) => i + 51));
      expect(transport.closedWith).toBeUndefined();
    });

    it('counts every frame, the client’s answers too (they are parsed like the rest)', () => {
      const { conn, transport } = reading();
      const ack = (i: number) => Buffer.from(`{"jsonrpc":"2.0","id":"e${i}","result":{"pad":"${'x'.repeat(3950)}"}}`);
      for (let i = 0; i < 60; i++) conn.receive(ack(i), false);
      expect(limited(transport)).toHaveLength(1);
      expect(transport.paused).toBe(true);
    });

    it('shares a budget between the connections of one address; another address is not affected', () => {
      const a = reading();
      const b = setup(() => ({ result: {} }), undefined, a.node);
      const other = setup(() => ({ result: {} }), '198.51.100.9', a.node);
      b.transport.writesOut = other.transport.writesOut = true;
      // 300,000 bytes for the address: 49 frames of the first connection, 26 of the second (each
      // connection's first frame, connect-sized, goes on its own budget alone).
      for (let i = 0; i < 50; i++) a.conn.receive(big(i), false);
      for (let i = 0; i < 30; i++) b.conn.receive(big(i), false);
      expect(limited(a.transport)).toHaveLength(0);
      expect(b.transport.sent.filter((f) => f.result)).toHaveLength(27);
      expect(limited(b.transport)).toHaveLength(1);
      for (let i = 0; i < 50; i++) other.conn.receive(big(i), false);
      expect(limited(other.transport)).toHaveLength(0);
    });

    it('charges a refused frame too: connections of one address refused one after another wait one after another', () => {
      const a = reading();
      const [b, c] = [setup(() => ({ result: {} }), undefined, a.node), setup(() => ({ result: {} }), undefined, a.node)];
      b.transport.writesOut = c.transport.writesOut = true;
      // a: 50 frames, its own budget (49 on the address's); the 51st is refused and charged (address: 300,000 - 200,000).
      for (let i = 0; i < 51; i++) a.conn.receive(big(i), false);
      expect(limited(a.transport)[0].error.data).toEqual({ retry_after_ms: 20 });
      // b: its first frame and 25 more spend the address; the 27th is refused, 4,000 bytes of debt at 300,000/s.
      for (let i = 0; i < 27; i++) b.conn.receive(big(i), false);
      expect(limited(b.transport)[0].error.data).toEqual({ retry_after_ms: 14 });
      // c's second frame (its first is its own): refused behind b's, 8,000 bytes of debt.
      c.conn.receive(big(0), false);
      c.conn.receive(big(1), false);
      expect(limited(c.transport)[0].error.data).toEqual({ retry_after_ms: 27 });
    });

    it('keeps an address’s spent budget when its connections close and reopen', () => {
      const a = reading();
      for (let i = 0; i < 50; i++) a.conn.receive(big(i), false);
      a.node.budgets.leave(a.conn.byteShare, a.node.now);
      const again = setup(() => ({ result: {} }), undefined, a.node);
      again.transport.writesOut = true;
      for (let i = 0; i < 30; i++) again.conn.receive(big(i), false);
      // The 104,000 bytes the address had left, and the new connection's first frame.
      expect(again.transport.sent.filter((f) => f.result)).toHaveLength(27);
      expect(limited(again.transport)).toHaveLength(1);
    });

    describe('once authenticated, per project behind one address (NAT, proxy, shared egress)', () => {
      /** A connection whose `signalwire.connect` succeeds for the project it names, as the dispatcher's does. */
      const tenant = (node?: ReturnType<typeof setup>['node']) => {
        const s = setup((conn, method, params) => {
          if (method !== 'signalwire.connect') return { result: {} };
          conn.state = 'open';
          conn.authenticated((params as { authentication: { project: string } }).authentication.project);
          return { result: {} };
        }, undefined, node);
        s.transport.writesOut = true;
        return s;
      };
      const connect = (s: ReturnType<typeof tenant>, project: string) =>
        s.conn.receive(frame({ jsonrpc: '2.0', id: 'c', method: 'signalwire.connect', params: { authentication: { project, token: 't' } } }), false);
      const answered = (s: ReturnType<typeof tenant>) => s.transport.sent.filter((f) => f.result && f.id !== 'c').length;

      it('gives each project its own budget: one spending it does not starve another', () => {
        const a = tenant();
        const b = tenant(a.node);
        connect(a, 'project-a');
        connect(b, 'project-b');
        // 160,000 bytes each: 320,000 from the address, over its 300,000.
        for (let i = 0; i < 40; i++) a.conn.receive(big(i), false);
        for (let i = 0; i < 40; i++) b.conn.receive(big(i), false);
        expect([answered(a), answered(b)]).toEqual([40, 40]);
        expect([...limited(a.transport), ...limited(b.transport)]).toEqual([]);
      });

      it('shares one budget between the connections of one project at an address', () => {
        const a = tenant();
        const b = tenant(a.node);
        connect(a, 'project-a');
        connect(b, 'project-a');
        for (let i = 0; i < 40; i++) a.conn.receive(big(i), false);
        for (let i = 0; i < 40; i++) b.conn.receive(big(i), false);
        // The connects drew on their connections' own budgets: the project's 300,000 bytes are 75 frames.
        expect([answered(a), answered(b)]).toEqual([40, 35]);
        expect(limited(b.transport)).toHaveLength(1);
      });

      it('charges frames before authentication to the address: a flood of them is bounded per address, and spares authenticated projects', () => {
        const a = tenant();
        connect(a, 'project-a');
        const [c, d] = [tenant(a.node), tenant(a.node)];
        // Unauthenticated: 50 frames on c, the address's rest on d (each one's first frame on its own budget).
        for (let i = 0; i < 50; i++) c.conn.receive(big(i), false);
        for (let i = 0; i < 30; i++) d.conn.receive(big(i), false);
        expect([answered(c), answered(d)]).toEqual([50, 27]);
        expect(limited(d.transport)).toHaveLength(1);
        // A new connection's connect, its first frame, goes on its own budget: the flood does not keep it out.
        const late = tenant(a.node);
        connect(late, 'project-b');
        expect(late.transport.sent).toEqual([expect.objectContaining({ id: 'c', result: {} })]);
        // Its next frame would wait, unauthenticated; authenticated it draws on its project's budget.
        for (let i = 0; i < 10; i++) late.conn.receive(big(i), false);
        expect(answered(late)).toBe(10);
        // The authenticated connection is not affected.
        for (let i = 0; i < 40; i++) a.conn.receive(big(i), false);
        expect(answered(a)).toBe(40);
        expect(limited(a.transport)).toEqual([]);
      });

      it('forgets the address’s and the project’s buckets once their connections are gone and they have refilled', () => {
        const a = tenant();
        connect(a, 'project-a');
        for (let i = 0; i < 40; i++) a.conn.receive(big(i), false);
        // The connect, its first frame, left the address's bucket full: it went when the connection left it.
        expect(a.node.budgets.size).toBe(1);
        a.node.budgets.leave(a.conn.byteShare, a.node.now);
        a.advance(1);
        a.node.budgets.sweep(a.node.now);
        // The project's is spent (kept, so reconnecting buys nothing); the address's has no connection and is full.
        expect(a.node.budgets.size).toBe(1);
        a.advance(1000);
        a.node.budgets.sweep(a.node.now);
        expect(a.node.budgets.size).toBe(0);
      });
    });
  });
});
