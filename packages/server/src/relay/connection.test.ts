import { describe, expect, it } from 'vitest';
import { noopRelayMetrics } from '../domain/ports/metrics.js';
import { RelayConnection, type ConnectionHost, type Reply } from './connection.js';
import { RELAY_CONSTANTS, type RelayLimits } from './limits.js';
import type { RelayTransport } from './transport.js';

const limits: RelayLimits = {
  maxFrameBytes: 4096,
  maxSessionsPerProject: 10,
  requestsPerSecond: 100,
  requestBurst: 100,
  resumeWindowMs: 1000,
  eventBufferSize: 10,
  bufferMemoryBytes: 1 << 20,
  pingIntervalMs: 5000,
};

class FakeTransport implements RelayTransport {
  sent: any[] = [];
  closedWith: [number, string] | undefined;
  terminated = false;
  bufferedAmount = 0;
  send(frame: string): void {
    this.sent.push(JSON.parse(frame));
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
  }
  terminate(): void {
    this.terminated = true;
  }
}

function setup(dispatch: ConnectionHost['dispatch']) {
  let now = 1_000_000;
  const transport = new FakeTransport();
  const host: ConnectionHost = { dispatch, connectionClosed: () => {}, limits, metrics: noopRelayMetrics, now: () => now, warn: () => {} };
  const conn = new RelayConnection(transport, host);
  return { conn, transport, advance: (ms: number) => (now += ms), now: () => now };
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
});
