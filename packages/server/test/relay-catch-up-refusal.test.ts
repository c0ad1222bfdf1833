/**
 * A project's catch-up reads are paced (relay/catch-up.ts: 4 at once, then 2 a second), and the
 * requests waiting for its next read are bounded (`CATCH_UP_MAX_WAITING`, 4,096): past it a request
 * that needs a catch-up is refused with -32005 and `data.retry_after_ms`, end to end. Sessions
 * adopted again (a signed protocol the node no longer knows) subscribe in a burst, each
 * `signalwire.receive` asking a catch-up of its own, more than may wait; the refused ones keep
 * their connection, and the rest are answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CATCH_UP_MAX_WAITING, CATCH_UP_READS_PER_SECOND } from '../src/relay/catch-up.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
});

/** Connections flooding at once, and the receives each sends (within a connection's requests in flight, 1,000). */
const CONNECTIONS = 8;
const RECEIVES = 900;

describe('RELAY catch-ups waiting past their bound', () => {
  it('are refused with -32005 and when to retry, the connection kept, the others answered', async () => {
    expect(CONNECTIONS * RECEIVES).toBeGreaterThan(CATCH_UP_MAX_WAITING + 1_000);
    const server = await startTestServer();
    servers.push(server);
    // Sessions ended by their clients: the node forgets them (no park, no checkpoint).
    const protocols: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
      protocols.push(result.protocol as string);
      await relay.call('signalwire.disconnect');
      await relay.closed();
    }
    // Back by their signed protocols: adopted again, each connect a catch-up read (the project's burst spent).
    const clients: RawRelay[] = [];
    for (const protocol of protocols) {
      const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol });
      expect(back.result).toMatchObject({ protocol, session_restored: false });
      clients.push(back.relay);
    }
    // Their subscriptions, all at once: more wait for the project's next read than may.
    for (const relay of clients) {
      const frames = Array.from({ length: RECEIVES }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: `r${i}`, method: 'signalwire.receive', params: { contexts: ['default'] } }));
      for (const f of frames) relay.sendRaw(f);
    }
    const answers = (relay: RawRelay) => relay.frames.filter((f) => typeof f.id === 'string' && f.id.startsWith('r') && f.method === undefined);
    await eventually(() => (clients.every((r) => answers(r).length === RECEIVES) ? true : undefined), 30_000, 'every receive answered');

    const all = clients.flatMap(answers);
    const refused = all.filter((f) => f.error);
    expect(refused.length).toBeGreaterThan(0);
    for (const f of refused) {
      expect(f.error).toMatchObject({ code: -32005, message: expect.stringMatching(/catch-ups waiting/) });
      expect((f.error!.data as { retry_after_ms: number }).retry_after_ms).toBeGreaterThanOrEqual(Math.ceil(1_000 / CATCH_UP_READS_PER_SECOND));
    }
    for (const f of all.filter((a) => !a.error)) expect(f.result).toMatchObject({ code: '200' });
    // A refusal of a subscription keeps the connection: the session goes on.
    for (const relay of clients) {
      expect(relay.closeCode).toBeUndefined();
      expect((await relay.call('signalwire.ping', {})).result).toBeDefined();
      await relay.close();
    }
  }, 60_000);
});
