import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { projectService } from './helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function inject(s: TestServer, body: string): Promise<void> {
  const res = await s.api('/api/simulator/inbound', { body: { from: '+15557652000', to: NUMBERS[1], body } });
  expect(res.status).toBeLessThan(300);
}

describe('unacknowledged events and slow consumers', () => {
  it('closes a connection that stops acking at the buffer size (1013), then replays those events on resume with the same ids', async () => {
    server = await startTestServer({ relayEventBufferSize: 10 });
    const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await relay.waitFor((f) => f.params?.event_type === 'signalwire.authorization.state');
    relay.autoAck = false;
    for (let i = 0; i < 10; i++) await inject(server, `m${i}`);
    expect(await relay.closed()).toBe(1013);
    const first = relay.frames.filter((f) => f.params?.event_type === 'messaging.receive');
    expect(first.map((f) => f.params.params.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);

    const again = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: result.protocol });
    expect(again.result).toMatchObject({ protocol: result.protocol, session_restored: true });
    const replayed = await again.relay.waitForEvents('messaging.receive', () => true, 10);
    expect(replayed.map((p) => p.body)).toEqual(first.map((f) => f.params.params.body));
    const replayIds = again.relay.frames.filter((f) => f.params?.event_type === 'messaging.receive').map((f) => f.id);
    expect(replayIds).toEqual(first.map((f) => f.id));
    // Acked now: a later resume has nothing left to replay.
    await inject(server, 'after');
    await again.relay.waitForEvents('messaging.receive', (p) => p.body === 'after', 1);
    await eventually(() => (server!.relay.registry.get(result.protocol)?.unackedCount === 0 ? true : undefined), 5000, 'every event acked');
    await again.relay.close();
    await eventually(() => (server!.relay.registry.get(result.protocol) ? undefined : true), 5000, 'the session to be parked');
    const third = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: result.protocol });
    expect(third.result).toMatchObject({ protocol: result.protocol, session_restored: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(third.relay.events('messaging.receive')).toEqual([]);
    await third.relay.close();
  });

  it('drops a session whose missed events overflow its buffer: the next connect is not restored', async () => {
    server = await startTestServer({ relayEventBufferSize: 10 });
    const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await relay.close();
    await eventually(() => (server!.relay.registry.get(result.protocol) ? undefined : true));
    for (let i = 0; i < 11; i++) await inject(server, `o${i}`);
    await new Promise((r) => setTimeout(r, 100));
    const again = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: result.protocol });
    expect(again.result).toMatchObject({ protocol: result.protocol, session_restored: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(again.relay.events('messaging.receive')).toEqual([]);
    await again.relay.close();
  });
});

describe('resume', () => {
  it('restores contexts and missed events in order within the window, and not after it', async () => {
    server = await startTestServer({ relayResumeWindowMs: 1500 });
    const first = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const state = (await first.relay.waitFor((f) => f.params?.event_type === 'signalwire.authorization.state')).params.params.authorization_state;
    await first.relay.cut();
    await eventually(() => (server!.relay.registry.get(first.result.protocol) ? undefined : true));
    await inject(server, 'missed 1');
    await inject(server, 'missed 2');
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: first.result.protocol, authorization_state: state });
    expect(back.result).toMatchObject({ protocol: first.result.protocol, session_restored: true });
    expect((await back.relay.waitForEvents('messaging.receive', () => true, 2)).map((p) => p.body)).toEqual(['missed 1', 'missed 2']);
    // The contexts came back with the session.
    await inject(server, 'live');
    await back.relay.waitForEvents('messaging.receive', (p) => p.body === 'live', 1);
    // A valid authorization_state is not pushed again.
    expect(back.relay.frames.some((f) => f.params?.event_type === 'signalwire.authorization.state')).toBe(false);

    await back.relay.close();
    await new Promise((r) => setTimeout(r, 2600));
    const late = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: first.result.protocol });
    expect(late.result).toMatchObject({ protocol: first.result.protocol, session_restored: false });
    await inject(server, 'not subscribed');
    await new Promise((r) => setTimeout(r, 100));
    expect(late.relay.events('messaging.receive')).toEqual([]);
    await late.relay.close();
  });

  it('starts a new session for a protocol of another project or with a mismatched authorization_state', async () => {
    server = await startTestServer();
    const a = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const forged = `signalwire_${'0'.repeat(32)}_${a.result.protocol.split('_')[2]}`;
    const b = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: forged });
    expect(b.result.protocol).not.toBe(forged);
    expect(b.result.session_restored).toBe(false);
    await a.relay.close();
    const c = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: a.result.protocol, authorization_state: 'bogus.state' });
    expect(c.result.protocol).not.toBe(a.result.protocol);
    await Promise.all([b.relay.close(), c.relay.close()]);
  });

  it('moves a session to a new connection while the old one still looks alive (4000 to the old one)', async () => {
    server = await startTestServer();
    const old = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const fresh = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: old.result.protocol });
    expect(fresh.result).toMatchObject({ protocol: old.result.protocol, session_restored: true });
    expect(await old.relay.closed()).toBe(4000);
    await inject(server, 'to the new one');
    await fresh.relay.waitForEvents('messaging.receive', (p) => p.body === 'to the new one', 1);
    expect(server.relay.registry.size).toBe(1);
    await fresh.relay.close();
  });

  it('gives a session moved to a new connection the scopes of the token that moved it, not those it had', async () => {
    server = await startTestServer();
    const numbersOnly = (await projectService(server).issueToken(PROJECT_ID, { name: 'numbers only', scopes: ['numbers'] })).token;
    const old = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const moved = await RawRelay.connected(server.url, PROJECT_ID, numbersOnly, { protocol: old.result.protocol });
    expect(moved.result).toMatchObject({ protocol: old.result.protocol, session_restored: true, authorization: { scopes: ['numbers'] } });
    expect(await old.relay.closed()).toBe(4000);
    const send = await moved.relay.call('messaging.send', { from_number: NUMBERS[0], to_number: '+15557654321', body: 'not allowed' });
    expect(send.error?.code).toBe(-32003);
    expect((await moved.relay.call('signalwire.receive', { contexts: ['office'] })).error?.code).toBe(-32003);
    // And the other way: a full token taking it back may send again.
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: old.result.protocol });
    expect((await back.relay.call('messaging.send', { from_number: NUMBERS[0], to_number: '+15557654321', body: 'allowed' })).result?.code).toBe('200');
    await back.relay.close();
  });

  it('gives a token without the messaging scope no inbound messages: contexts at connect are refused (-32003), and a session it resumes replays and receives none', async () => {
    server = await startTestServer();
    const numbersOnly = (await projectService(server).issueToken(PROJECT_ID, { name: 'numbers only', scopes: ['numbers'] })).token;
    const refused = await RawRelay.open(server.url);
    const res = await refused.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, agent: 'test', authentication: { project: PROJECT_ID, token: numbersOnly }, contexts: ['default'] });
    expect(res.error).toMatchObject({ code: -32003, message: expect.stringContaining('messaging') });
    await refused.close();

    const full = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    await full.relay.cut();
    await eventually(() => (server!.relay.registry.get(full.result.protocol) ? undefined : true));
    await inject(server, 'parked secret');
    const taken = await RawRelay.connected(server.url, PROJECT_ID, numbersOnly, { protocol: full.result.protocol });
    expect(taken.result).toMatchObject({ session_restored: true, authorization: { scopes: ['numbers'] } });
    await inject(server, 'live secret');
    // A full token taking the session back receives again: the contexts were kept.
    const back = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: full.result.protocol });
    await inject(server, 'for the full token');
    await back.relay.waitForEvents('messaging.receive', (p) => p.body === 'for the full token', 1);
    expect(taken.relay.events('messaging.receive')).toEqual([]);
    expect(back.relay.events('messaging.receive').map((p) => p.body)).toEqual(['for the full token']);
    await back.relay.close();
  });

  it('caps the contexts of a resumed session at 100, its own and the given ones together, whether it was parked or live', async () => {
    server = await startTestServer();
    const contexts = (prefix: string) => Array.from({ length: 100 }, (_, i) => `${prefix}-${i}`);
    const first = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: contexts('a') });
    const protocol = first.result.protocol;
    const again = (extra: Record<string, unknown>) =>
      RawRelay.open(server!.url).then(async (relay) => ({
        relay,
        res: await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, event_acks: true, authentication: { project: PROJECT_ID, token: API_TOKEN }, protocol, ...extra }),
      }));

    // Live: refused, and the session stays with its connection.
    const live = await again({ contexts: contexts('b') });
    expect(live.res.error).toMatchObject({ code: -32602, message: expect.stringContaining('at most 100 contexts') });
    expect((await first.relay.call('signalwire.ping', {})).result).toEqual({});
    expect(server.relay.registry.get(protocol)?.contexts.size).toBe(100);

    // Parked: refused, and it is still there to resume with contexts that fit.
    await first.relay.cut();
    await eventually(() => (server!.relay.registry.get(protocol) ? undefined : true));
    const parked = await again({ contexts: ['a-0', 'one-more'] });
    expect(parked.res.error?.code).toBe(-32602);
    expect(server.relay.registry.get(protocol)).toBeUndefined();
    const fits = await again({ contexts: ['a-0'] });
    expect(fits.res.result).toMatchObject({ protocol, session_restored: true });
    expect(server.relay.registry.get(protocol)?.contexts.size).toBe(100);
    await Promise.all([live.relay.close(), parked.relay.close(), fits.relay.close()]);
  });
});

describe('parked sessions per project', () => {
  it('keeps at most relay.maxSessionsPerProject parked sessions of a project: a client connecting and dropping over and over drops its own oldest', async () => {
    server = await startTestServer({ relayMaxSessionsPerProject: 3 });
    const protocols: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: Array.from({ length: 100 }, (_, c) => `ctx-${i}-${c}`) });
      await relay.close();
      await eventually(() => (server!.relay.registry.get(result.protocol) ? undefined : true), 5000, 'the session to be parked');
      protocols.push(result.protocol);
    }
    // The newest three resume (newest first: its claim waits for its park, which dropped the oldest);
    // the oldest three were dropped. signalwire.disconnect parks nothing more.
    for (const [i, protocol] of [...protocols.entries()].reverse()) {
      const again = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol });
      expect(again.result.session_restored, `session ${i}`).toBe(i >= 3);
      await again.relay.call('signalwire.disconnect', {});
      await again.relay.closed();
    }
  });
});

describe('keepalive and shutdown', () => {
  it('pings clients at the configured interval and counts sessions in /metrics', async () => {
    server = await startTestServer({ relayPingIntervalMs: 1000 });
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const ping = await relay.waitFor((f) => f.method === 'signalwire.ping', 3000);
    expect(typeof ping.params.timestamp).toBe('number');
    const sent = await relay.call('messaging.send', { to_number: '+15557652001', from_number: NUMBERS[0], body: 'count me', context: 'c' });
    // State events follow the answer in a later write (relay.stateEventGapMs): count once one is out.
    await relay.waitForEvents('messaging.state', (p) => p.message_id === sent.result.message_id, 1);
    const metrics = await server.api('/metrics');
    expect(metrics.text).toMatch(/switchboard_relay_sessions 1/);
    expect(metrics.text).toMatch(/switchboard_relay_requests_total\{method="messaging.send",outcome="ok"\} 1/);
    expect(metrics.text).toMatch(/switchboard_relay_events_sent_total\{type="messaging.state"\}/);
    await relay.close();
  });

  it('says signalwire.disconnect before closing at shutdown', async () => {
    server = await startTestServer();
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
    const stopping = server.stop();
    server = undefined;
    const bye = await relay.waitFor((f) => f.method === 'signalwire.disconnect').catch(() => relay.frames.find((f) => f.method === 'signalwire.disconnect'));
    expect(bye?.params).toEqual({ restart: false });
    expect(await relay.closed()).toBe(1001);
    await stopping;
  });

  it('ends the session for good when the client sends signalwire.disconnect', async () => {
    server = await startTestServer();
    const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    expect((await relay.call('signalwire.disconnect', {})).result).toEqual({});
    expect(await relay.closed()).toBe(1000);
    const again = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { protocol: result.protocol });
    expect(again.result.session_restored).toBe(false);
    await again.relay.close();
  });
});

describe('over HTTPS', () => {
  it('serves RELAY at wss://…/ on the HTTPS listener, with the banner naming it', async () => {
    server = await startTestServer({ httpsEnabled: true });
    const ca = readFileSync(server.caFile!);
    const { relay } = await RawRelay.connected(server.httpsUrl!, PROJECT_ID, API_TOKEN, {}, { ca });
    const sent = await relay.call('messaging.send', { to_number: '+15557652100', from_number: NUMBERS[0], body: 'Over TLS', context: 'tls' });
    const states = await relay.waitForEvents('messaging.state', (p) => p.message_id === sent.result.message_id, 4);
    expect(states.map((p) => p.message_state)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    await relay.close();
    const banner = await new Promise<any>((resolve, reject) => {
      get(`${server!.httpsUrl}/`, { ca }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(JSON.parse(text)));
      }).on('error', reject);
    });
    expect(banner.endpoints.relay).toBe(`wss://${new URL(server.httpsUrl!).host}/`);
  });
});
