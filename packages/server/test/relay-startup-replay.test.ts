/**
 * A RELAY client of the process before a restart comes back a few seconds later under its signed
 * protocol (`session_restored: false`). The messages that were in flight were recovered as the new
 * process started, and their state events had no session to go to: the node keeps the events of
 * its first resume window and replays a returning session's, by its contexts at connect or as it
 * subscribes to them (`signalwire.receive`). A new session gets none of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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

/**
 * A message sent on context `boot`, which a RELAY session follows, left in flight by a restart (the
 * simulator answers after a second), then delivered by the new process while no client is connected.
 * Another session sends it: the sender gets its states by its protocol, whatever it subscribes to.
 */
async function deliveredAcrossRestart(resumeWindowMs = 120_000, catchUpWindowMs = 120_000): Promise<{ protocol: string; sender: string; messageId: string }> {
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-startup-replay-'));
  // No catch-up on the first process: its stop hands no session over, as a killed process's would.
  server = await startTestServer({ simulatorDelayMs: 1000, relayCatchUpWindowMs: 0 }, { dataDir });
  const { relay, result } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['boot'] });
  const sender = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN);
  const sent = await sender.relay.call('messaging.send', { to_number: '+15557653001', from_number: NUMBERS[0], body: 'across a restart', context: 'boot' });
  const messageId = sent.result.message_id as string;
  await relay.waitForEvents('messaging.state', (p) => p.message_id === messageId, 1);
  // close, not stop: the data (and on PostgreSQL its database) stays for the next process.
  await server.close();
  server = await startTestServer({ simulatorDelayMs: 0, relayResumeWindowMs: resumeWindowMs, relayCatchUpWindowMs: catchUpWindowMs }, { dataDir });
  const local = server;
  await eventually(async () => ((await local.api(`/api/messaging/logs/${messageId}`)).body?.status === 'delivered' ? true : undefined), 20_000, 'delivered after the restart');
  return { protocol: result.protocol, sender: sender.result.protocol, messageId };
}

describe('RELAY events of a restart, for the clients of the process before it', () => {
  it('replays a returning session the states its messages reached before it reconnected, by the contexts it connects with', async () => {
    const { protocol, messageId } = await deliveredAcrossRestart();
    const { relay, result } = await RawRelay.connected(server!.url, PROJECT_ID, API_TOKEN, { protocol, contexts: ['boot'] });
    expect(result).toMatchObject({ protocol, session_restored: false });
    const states = await relay.waitForEvents('messaging.state', (p) => p.message_id === messageId && p.message_state === 'delivered', 1);
    expect(states[0]).toMatchObject({ context: 'boot', body: 'across a restart' });
    await relay.close();
  });

  it('replays them after the answer to signalwire.receive, for the contexts it subscribes to then', async () => {
    const { protocol, messageId } = await deliveredAcrossRestart();
    const { relay } = await RawRelay.connected(server!.url, PROJECT_ID, API_TOKEN, { protocol, version: { major: 3, minor: 0, revision: 0 } });
    expect(relay.events('messaging.state')).toEqual([]);
    const answer = await relay.call('signalwire.receive', { contexts: ['boot'] });
    expect(answer.result).toMatchObject({ code: '200' });
    await relay.waitForEvents('messaging.state', (p) => p.message_id === messageId && p.message_state === 'delivered', 1);
    // Each once: subscribing again replays nothing more.
    await relay.call('signalwire.receive', { contexts: ['boot', 'other'] });
    const seen = relay.events('messaging.state').filter((p) => p.message_id === messageId).map((p) => p.message_state);
    expect(new Set(seen).size).toBe(seen.length);
    await relay.close();
  });

  it('replays the session that sent a message its states by its protocol, as the message stores its sender', async () => {
    // Without the catch-up from stored events: the start's events alone.
    const { sender, messageId } = await deliveredAcrossRestart(120_000, 0);
    const { relay } = await RawRelay.connected(server!.url, PROJECT_ID, API_TOKEN, { protocol: sender });
    await relay.waitForEvents('messaging.state', (p) => p.message_id === messageId && p.message_state === 'delivered', 1);
    await relay.close();
  });

  it('gives a new session none of them, nor a returning one after the window', async () => {
    const { messageId } = await deliveredAcrossRestart();
    const fresh = await RawRelay.connected(server!.url, PROJECT_ID, API_TOKEN, { contexts: ['boot'] });
    await fresh.relay.call('signalwire.ping', {});
    expect(fresh.relay.events('messaging.state').filter((p) => p.message_id === messageId)).toEqual([]);
    await fresh.relay.close();
    await server!.stop();
    server = undefined;
    rmSync(dataDir!, { recursive: true, force: true });
    dataDir = undefined;

    // Without the catch-up from stored events (relay-catch-up.test.ts), which would bring its last state.
    const late = await deliveredAcrossRestart(1, 0);
    const { relay, result } = await RawRelay.connected(server!.url, PROJECT_ID, API_TOKEN, { protocol: late.protocol, contexts: ['boot'] });
    expect(result.session_restored).toBe(false);
    await relay.call('signalwire.ping', {});
    expect(relay.events('messaging.state').filter((p) => p.message_id === late.messageId)).toEqual([]);
    await relay.close();
  });
});
