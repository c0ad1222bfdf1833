/**
 * RELAY session checkpoints and catch-ups across tenants (relay/checkpoints.ts, relay/catch-up.ts,
 * store/repositories/event-walk.ts). A checkpoint is what a node killed with its sessions live
 * leaves; the node the client comes back to takes it and catches the session up from the stored
 * events, the catch-ups of several projects sharing one walk of the event ids. Here a dead node
 * left checkpoints of project A's and project B's sessions (written to the store as it writes
 * them), the stored events of both projects use the same context names, and B's messages name A's
 * protocol as their context and as their RELAY sender. Then:
 * - B's token presenting A's protocol gets a new session of B's, and A's checkpoint stays;
 * - a checkpoint of A's whose token was revoked since is not resumed (by another token of A's);
 * - A and B resuming at once each get exactly their own project's events, nothing of the other's.
 * (That a walk statement shared by two projects' reads gives each only its own project's rows:
 * store/catch-up-shared-walk.test.ts; reads arriving over sockets rarely land in the same turn.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRecord, NewMessageEvent } from '../src/domain/message.js';
import type { RelaySessionCheckpoint } from '../src/domain/ports/relay-resume.js';
import { newSessionName } from '../src/relay/session-names.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { createProject, projectService, type TestProject } from './helpers/projects.js';
import { RawRelay } from './helpers/raw-relay.js';
import { messageRow } from './helpers/records.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let a: TestProject;
let b: TestProject;

beforeAll(async () => {
  server = await startTestServer({ relayCatchUpWindowMs: 120_000, relayResumeWindowMs: 120_000 });
  a = await createProject(server, { name: 'Tenant A' });
  b = await createProject(server, { name: 'Tenant B' });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const store = () => server.store as KyselyStore;

/** A checkpoint a killed node left: its session followed `contexts`, its client had everything before 10 s ago. */
function left(project: TestProject, protocol: string, contexts: string[], tokenId: string | null = null): RelaySessionCheckpoint {
  return { protocol, projectId: project.projectId, tokenId, contexts, eventAcks: true, since: Date.now() - 10_000, had: [], expiresAt: Date.now() + 60_000 };
}

/** Stores `messages` of the test with a delivered event each, 2 s ago (after the checkpoints' positions). */
async function deliveredMessages(rows: ReturnType<typeof messageRow>[]): Promise<MessageRecord[]> {
  const messages = await store().messages.insertMany(rows);
  const at = Date.now() - 2_000;
  await store().events.insertMany(messages.map((m): NewMessageEvent => ({ messageId: m.id, projectId: m.projectId, status: 'delivered', at, errorCode: null, errorMessage: null, detail: null })));
  return messages;
}

/** The messages whose states `relay` was sent, once the replay after its connect has arrived. */
async function statesSent(relay: RawRelay): Promise<string[]> {
  // The replay is written right after the connect's answer: a ping's answer comes after it.
  await relay.call('signalwire.ping', {});
  return relay.events('messaging.state').map((p) => p.message_id as string).sort();
}

describe('RELAY checkpoints and catch-ups of two projects', () => {
  it("resume each project's session with its own events only, never from another project's token", async () => {
    const protocolA = newSessionName(a.projectId, a.signingKey).protocol;
    const protocolB = newSessionName(b.projectId, b.signingKey).protocol;
    await store().relayCheckpoints('node-killed').save([left(a, protocolA, ['office']), left(b, protocolB, ['office'])], []);
    // The same context names in both projects; B's messages also name A's protocol (context, sender).
    const [aOffice, aSent] = await deliveredMessages([messageRow(a.projectId, { context: 'office' }), messageRow(a.projectId, { context: 'elsewhere', relaySender: protocolA })]);
    const [bOffice] = await deliveredMessages([
      messageRow(b.projectId, { context: 'office' }),
      messageRow(b.projectId, { context: 'elsewhere', relaySender: protocolA }),
      messageRow(b.projectId, { context: protocolA }),
      messageRow(b.projectId, { context: null }),
    ]);

    // B's token with A's protocol (replayed, or guessed right): a new session of B's, caught up with nothing.
    const intruder = await RawRelay.connected(server.url, b.projectId, b.token, { protocol: protocolA });
    expect(intruder.result).toMatchObject({ session_restored: false, authorization: { project: b.projectId } });
    expect(intruder.result.protocol).not.toBe(protocolA);
    expect(await statesSent(intruder.relay)).toEqual([]);
    await intruder.relay.close();

    // A and B come back at once.
    const [backA, backB] = await Promise.all([RawRelay.connected(server.url, a.projectId, a.token, { protocol: protocolA }), RawRelay.connected(server.url, b.projectId, b.token, { protocol: protocolB })]);
    try {
      expect(backA.result).toMatchObject({ protocol: protocolA, session_restored: true, authorization: { project: a.projectId } });
      expect(backB.result).toMatchObject({ protocol: protocolB, session_restored: true, authorization: { project: b.projectId } });
      expect(await statesSent(backA.relay)).toEqual([aOffice!.id, aSent!.id].sort());
      expect(await statesSent(backB.relay)).toEqual([bOffice!.id]);
    } finally {
      await backA.relay.close();
      await backB.relay.close();
    }
  }, 30_000);

  it('does not resume a checkpoint whose token was revoked since, with another token of its project', async () => {
    const projects = projectService(server);
    const { record, token: revocable } = await projects.issueToken(a.projectId, { name: 'to revoke', scopes: ['messaging'] });
    const accepted = async (token: string) => {
      const relay = await RawRelay.open(server.url);
      try {
        const res = await relay.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, agent: 'test', authentication: { project: a.projectId, token } });
        return res.error === undefined;
      } finally {
        relay.ws.close();
      }
    };
    // The server's credential cache may predate the token: as an issue is announced.
    server.bus.publish('credentials.changed', { projectId: a.projectId });
    await eventually(async () => ((await accepted(revocable)) ? true : undefined), 5_000, 'the new token accepted');
    const [kept, revoked] = [newSessionName(a.projectId, a.signingKey).protocol, newSessionName(a.projectId, a.signingKey).protocol];
    await store().relayCheckpoints('node-killed').save([left(a, kept, ['office'], record.id), left(a, revoked, ['office'], record.id)], []);
    const [message] = await deliveredMessages([messageRow(a.projectId, { context: 'office' })]);

    // While its token is active, another token of the project resumes it.
    const resumed = await RawRelay.connected(server.url, a.projectId, a.token, { protocol: kept });
    expect(resumed.result).toMatchObject({ protocol: kept, session_restored: true });
    expect(await statesSent(resumed.relay)).toContain(message!.id);
    await resumed.relay.close();

    expect(await projects.revokeToken(a.projectId, record.id)).toBe(true);
    server.bus.publish('credentials.changed', { projectId: a.projectId });
    await eventually(async () => ((await accepted(revocable)) ? undefined : true), 5_000, 'the revoked token refused');
    // Revoked: adopted again, not restored (no position, none of its contexts, nothing of 'office').
    const back = await RawRelay.connected(server.url, a.projectId, a.token, { protocol: revoked });
    try {
      expect(back.result).toMatchObject({ protocol: revoked, session_restored: false });
      expect(await statesSent(back.relay)).not.toContain(message!.id);
    } finally {
      await back.relay.close();
    }
  }, 30_000);
});
