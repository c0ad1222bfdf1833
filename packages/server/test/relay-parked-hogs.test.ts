/**
 * A client parks many sessions of a project (connects from another address, subscribes, drops each
 * socket) beside 100 sessions of the same project that read and acknowledge promptly, while inbound
 * messages flood their context. The parked sessions collect every event until the project's share
 * of `relay.bufferMemoryBytes` is spent: the readers must keep getting every event and stay open,
 * and the parked sessions are the ones dropped. Left out of the budget relief, parked sessions were
 * never shed for a reader, and 84 to 97 of the 100 readers were closed (1013) instead (50 with
 * PostgreSQL, where missed events hold the budget until written); with no parked sessions, the
 * same flood closes none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const READERS = 100;
const PARKED = 100;
const MESSAGES = 150;
let server: TestServer;
beforeAll(async () => {
  // 8 MiB of event buffers, half of it the project's: 100 parked sessions × 50 events × ~1.1 kB is more.
  server = await startTestServer({ relayEventBufferSize: 50, relayBufferMemoryBytes: 8 * 1024 * 1024, relayRequestsPerSecond: 1000, relayRequestBurst: 2000 });
});
afterAll(async () => {
  await server?.stop();
});

describe('RELAY sessions parked by another client of the project, beside sessions that read', () => {
  it('keep every event flowing to the readers, which stay open; the parked sessions are dropped', async () => {
    const readers: RawRelay[] = [];
    for (let i = 0; i < READERS; i++) readers.push((await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] })).relay);
    for (let i = 0; i < PARKED; i++) {
      const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] }, { localAddress: '127.0.0.2' });
      await relay.cut();
    }
    await eventually(() => (server.relay.sessionsOf(PROJECT_ID).length === READERS ? true : undefined), 5_000, 'the sessions to park');
    const body = 'x'.repeat(800);
    let next = 0;
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < MESSAGES) {
          const res = await server.api('/api/simulator/inbound', { body: { from: '+15557659999', to: NUMBERS[1], body: `${next++} ${body}` } });
          expect(res.status).toBeLessThan(300);
        }
      }),
    );
    await eventually(() => (readers.every((r) => r.closeCode !== undefined || r.events('messaging.receive').length >= MESSAGES) ? true : undefined), 20_000, 'every reader to get every message').catch(() => undefined);
    expect(readers.filter((r) => r.closeCode !== undefined)).toHaveLength(0);
    expect(readers.map((r) => new Set(r.events('messaging.receive').map((p) => p.body)).size)).toEqual(readers.map(() => MESSAGES));
    // The parked sessions could not all keep what they missed: dropped, and their budget given back.
    const dropped = Number(/switchboard_relay_session_events_total\{event="lost"\} (\d+)/.exec((await server.api('/metrics', { auth: null })).text)?.[1] ?? 0);
    expect(dropped).toBeGreaterThan(0);
    for (const r of readers) r.ws.terminate();
  }, 60_000);
});
