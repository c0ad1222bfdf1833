import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '@switchboard/sdk';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';
import { loginAs } from '../packages/server/test/console/console-client.js';

let server: TestServer;
let relay: RelayClient;

beforeAll(async () => {
  server = await startTestServer();
  relay = new RelayClient({ project: PROJECT_ID, token: API_TOKEN, host: server.url, contexts: ['default', 'support'], logger: { error: () => {}, warn: () => {} } });
  await relay.connect();
});
afterAll(async () => {
  await relay.disconnect();
  await server.stop();
});

describe('the console Connections view', () => {
  it('lists the project’s RELAY sessions with their contexts, connection time and event counts', async () => {
    const message = await relay.sendMessage({ toNumber: '+15557680001', fromNumber: NUMBERS[0]!, body: 'counted' });
    await message.wait(10);
    const console = await loginAs(server, PROJECT_ID, API_TOKEN);
    const res = await eventually(async () => {
      const r = await console.call('/api/console/connections');
      const s = r.body?.relay?.sessions?.[0];
      return s && s.events_sent >= 4 && s.events_unacked === 0 ? r : undefined;
    });
    expect(res.body.relay.available).toBe(true);
    expect(res.body.relay.sessions).toHaveLength(1);
    const session = res.body.relay.sessions[0];
    expect(session).toMatchObject({ id: relay.relayProtocol, state: 'connected', events_unacked: 0 });
    expect([...session.contexts].sort()).toEqual(['default', 'support']);
    expect(Date.parse(session.connected_since)).toBeGreaterThan(Date.now() - 60_000);
  });
});
