/**
 * Half of a project's RELAY sessions never read their sockets while inbound messages flood their
 * context. They hold their unacknowledged events until the project's share of
 * `relay.bufferMemoryBytes` is spent (a small budget here, so a few seconds of flood do it): the
 * sessions that read and acknowledge promptly must keep getting every event and stay open, and the
 * non-readers' sessions (shed, then dropped a second after their close, which they never read) must
 * not linger for the WebSocket close timeout (30 s).
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const SESSIONS = 20;
const MESSAGES = 150;
let server: TestServer;
beforeAll(async () => {
  // 1 MiB of event buffers, half of it the project's: 20 non-readers × 50 events × ~1.1 kB is more.
  server = await startTestServer({ relayEventBufferSize: 50, relayBufferMemoryBytes: 1_048_576, relayRequestsPerSecond: 1000, relayRequestBurst: 2000 });
});
afterAll(async () => {
  await server?.stop();
});

describe('RELAY sessions that never read, beside sessions of the same project that do', () => {
  it('keep every event flowing to the readers, which stay open; the non-readers are dropped within seconds', async () => {
    const readers: RawRelay[] = [];
    const nonReaders: RawRelay[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      readers.push((await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] })).relay);
      const n = (await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] })).relay;
      (n.ws as unknown as { _socket: Socket })._socket.pause();
      nonReaders.push(n);
    }
    const body = 'x'.repeat(800);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < MESSAGES) {
          const res = await server.api('/api/simulator/inbound', { body: { from: '+15557659999', to: NUMBERS[1], body: `${next++} ${body}` } });
          expect(res.status).toBeLessThan(300);
        }
      }),
    );
    // Every reader gets every message and is still open.
    await eventually(() => (readers.every((r) => r.events('messaging.receive').length >= MESSAGES) ? true : undefined), 20_000, 'every reader to get every message').catch(() => undefined);
    expect(readers.map((r) => r.closeCode)).toEqual(readers.map(() => undefined));
    expect(readers.map((r) => new Set(r.events('messaging.receive').map((p) => p.body)).size)).toEqual(readers.map(() => MESSAGES));
    // The non-readers' sessions are gone well before the WebSocket close timeout; the readers' remain.
    await eventually(() => (server.relay.sessionsOf(PROJECT_ID).length === SESSIONS ? true : undefined), 10_000, 'the non-readers to be dropped');
    expect(server.relay.sessionsOf(PROJECT_ID).every((s) => s.state === 'connected')).toBe(true);
  }, 60_000);
});
