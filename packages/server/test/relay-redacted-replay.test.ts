/**
 * A message redacted while its events wait to be replayed: a parked session's missed events and
 * a live session's unacknowledged ones are replayed without the erased text. On PostgreSQL the
 * text also leaves the stored resume buffer at the redaction, rather than staying at rest there
 * until the session is claimed or its window ends; so it does, on SQLite too, from the sessions a
 * stop handed over to the next process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { serversOnPostgres } from './helpers/postgres.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function inject(s: TestServer, body: string): Promise<string> {
  const res = await s.api('/api/simulator/inbound', { body: { from: '+15557652000', to: NUMBERS[1], body } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function redact(s: TestServer, id: string): Promise<void> {
  const res = await s.api(`/api/messaging/messages/${id}`, { method: 'PATCH', body: { body: '' } });
  expect(res.status).toBe(200);
}

describe('a message redacted while its events wait for a resume', () => {
  it('replays a parked session\'s missed event of a redacted message without its text', async () => {
    server = await startTestServer();
    const first = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const state = (await first.relay.waitFor((f) => f.params?.event_type === 'signalwire.authorization.state')).params.params.authorization_state;
    await first.relay.cut();
    await eventually(() => (server!.relay.registry.get(first.result.protocol) ? undefined : true));
    const secret = await inject(server, 'secret 1');
    await inject(server, 'kept 2');
    await redact(server, secret);
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: first.result.protocol, authorization_state: state });
    expect(back.result).toMatchObject({ protocol: first.result.protocol, session_restored: true });
    const replayed = await back.relay.waitForEvents('messaging.receive', () => true, 2);
    expect(replayed.map((p) => [p.message_id, p.body])).toEqual([
      [secret, ''],
      [expect.any(String), 'kept 2'],
    ]);
    expect(JSON.stringify(back.relay.frames)).not.toContain('secret 1');
    await back.relay.close();
  });

  it('replays a live session\'s unacknowledged event of a redacted message without its text, whichever connection takes it', async () => {
    server = await startTestServer();
    const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await relay.waitFor((f) => f.params?.event_type === 'signalwire.authorization.state');
    relay.autoAck = false;
    const secret = await inject(server, 'secret 3');
    await relay.waitForEvents('messaging.receive', (p) => p.body === 'secret 3', 1);
    await redact(server, secret);
    // Moved while the old connection still looks alive: the unacknowledged event is replayed.
    const moved = await RawRelay.open(server.url);
    moved.autoAck = false;
    const res = await moved.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, agent: 'test', event_acks: true, authentication: { project: PROJECT_ID, token: API_TOKEN }, protocol: result.protocol });
    expect(res.result).toMatchObject({ protocol: result.protocol, session_restored: true });
    const [event] = await moved.waitForEvents('messaging.receive', () => true, 1);
    expect(event).toMatchObject({ message_id: secret, body: '' });
    await moved.cut();
    await eventually(() => (server!.relay.registry.get(result.protocol) ? undefined : true));
    // Parked with it unacknowledged, then resumed: still without the text.
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: result.protocol });
    expect(back.result).toMatchObject({ session_restored: true });
    const [again] = await back.relay.waitForEvents('messaging.receive', () => true, 1);
    expect(again).toMatchObject({ message_id: secret, body: '' });
    await back.relay.close();
  });
});

describe.runIf(serversOnPostgres)('a message redacted while a session parked in the database keeps its event', () => {
  it('is erased from the stored buffer at once, and replayed without its text', async () => {
    server = await startTestServer();
    const db = (server.store as KyselyStore).db;
    const stored = async () => (await db.selectFrom('relay_parked_events').select('params').execute()).map((r) => r.params).join('\n');
    const first = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await first.relay.cut();
    await eventually(() => (server!.relay.registry.get(first.result.protocol) ? undefined : true));
    const secret = await inject(server, 'secret at rest 5');
    await inject(server, 'kept 6');
    await eventually(async () => ((await stored()).includes('kept 6') ? true : undefined), 5_000, 'the events stored');
    expect(await stored()).toContain('secret at rest 5');
    await redact(server, secret);
    expect(await stored()).not.toContain('secret at rest 5');
    expect(await stored()).toContain('kept 6');
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: first.result.protocol });
    expect(back.result).toMatchObject({ session_restored: true });
    const replayed = await back.relay.waitForEvents('messaging.receive', () => true, 2);
    expect(replayed.map((p) => [p.message_id, p.body])).toEqual([
      [secret, ''],
      [expect.any(String), 'kept 6'],
    ]);
    await back.relay.close();
  });
});

describe('a message redacted while a session handed over at a stop keeps its event', () => {
  it('is erased from the stored buffer at once, and replayed without its text by the next process', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-redacted-handoff-'));
    server = await startTestServer({}, { dataDir });
    const first = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await first.relay.cut();
    await eventually(() => (server!.relay.registry.get(first.result.protocol) ? undefined : true));
    const watcher = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const secret = await inject(server, 'secret handed over 7');
    await inject(server, 'kept 8');
    // Routed to the parked session in the same turn as to the live one.
    await watcher.relay.waitForEvents('messaging.receive', (p) => p.body === 'kept 8', 1);
    // The stop hands the parked session over, with both events, to the next process.
    await server.close();
    server = await startTestServer({}, { dataDir });
    const db = (server.store as KyselyStore).db;
    const stored = async () => (await db.selectFrom('relay_parked_events').select('params').execute()).map((r) => r.params).join('\n');
    expect(await stored()).toContain('secret handed over 7');
    await redact(server, secret);
    expect(await stored()).not.toContain('secret handed over 7');
    expect(await stored()).toContain('kept 8');
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: first.result.protocol });
    expect(back.result).toMatchObject({ session_restored: true });
    const replayed = await back.relay.waitForEvents('messaging.receive', () => true, 2);
    expect(replayed.map((p) => [p.message_id, p.body])).toEqual([
      [secret, ''],
      [expect.any(String), 'kept 8'],
    ]);
    await back.relay.close();
  });
});
