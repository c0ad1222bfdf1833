/**
 * A `signalwire.connect` resuming a session (a signed protocol) whose look-up in storage fails: the
 * connect is refused, and the session it had begun to open is not left behind. It used to stay in
 * the node's registry with no connection holding it, receiving its project's events and counting
 * against `relay.maxSessionsPerProject` until a connect named its protocol again.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/** Make the parked-session table unusable (both dialects), or usable again. */
async function parkedTable(server: TestServer, usable: boolean): Promise<void> {
  const [from, to] = usable ? ['relay_parked_sessions_off', 'relay_parked_sessions'] : ['relay_parked_sessions', 'relay_parked_sessions_off'];
  await sql.raw(`ALTER TABLE ${from} RENAME TO ${to}`).execute((server.store as KyselyStore).db);
}

describe('a RELAY connect whose resume cannot be looked up', () => {
  it('is refused without leaving its session in the registry', async () => {
    const server = await startTestServer();
    servers.push(server);
    const first = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const protocol = first.result.protocol as string;
    await first.relay.call('signalwire.disconnect');
    await first.relay.close();
    await eventually(() => (server.relay.registry.get(protocol) ? undefined : true), 5_000, 'the session ended');

    await parkedTable(server, false);
    try {
      const relay = await RawRelay.open(server.url);
      const res = await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, agent: 'test', event_acks: true, authentication: { project: PROJECT_ID, token: API_TOKEN }, protocol });
      expect(res.error).toBeDefined();
      expect(server.relay.registry.get(protocol)).toBeUndefined();
      expect(server.relay.sessionsOf(PROJECT_ID)).toEqual([]);
      await relay.close();
    } finally {
      await parkedTable(server, true);
    }
  });
});
