/**
 * A RELAY session is authorised by its `signalwire.connect`, then lives as long as its socket: a
 * revoked token's session went on receiving the project's inbound messages and sending as it for
 * as long as the client kept the socket. Now revoking the token closes its connections (1008) and
 * ends their sessions; sessions of the project's other tokens carry on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { createProject, projectService, type TestProject } from './helpers/projects.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let tenant: TestProject;
let revocable: { id: string; token: string };
let quiet: { id: string; token: string };

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createProject(server, { name: 'RELAY tenant' });
  // Issued before the server first loads the project, so its credential cache knows both tokens.
  const issued = await projectService(server).issueToken(tenant.projectId, { name: 'to revoke', scopes: ['messaging'] });
  revocable = { id: issued.record.id, token: issued.token };
  const another = await projectService(server).issueToken(tenant.projectId, { name: 'revoked quietly', scopes: ['messaging'] });
  quiet = { id: another.record.id, token: another.token };
});
afterAll(async () => {
  await server.stop();
});

describe('revoking a token', () => {
  it('closes the RELAY connections it opened and ends their sessions; other tokens keep theirs', async () => {
    const revoked = await RawRelay.connected(server.url, tenant.projectId, revocable.token, { contexts: ['office'] });
    const kept = await RawRelay.connected(server.url, tenant.projectId, tenant.token, { contexts: ['office'] });
    expect(await projectService(server).revokeToken(tenant.projectId, revocable.id)).toBe(true);
    // As a revocation is announced on a bus the server shares.
    server.bus.publish('credentials.changed', { projectId: tenant.projectId });
    expect(await Promise.race([revoked.relay.closed(), new Promise((r) => setTimeout(() => r('still open'), 3000))])).toBe(1008);
    // Ended, not parked for a resume.
    await eventually(() => (server.relay.registry.get(revoked.result.protocol) ? undefined : true), 3000, 'the session to end');
    expect(server.relay.sessionsOf(tenant.projectId).map((s) => s.id)).toEqual([kept.result.protocol]);
    expect((await kept.relay.call('signalwire.ping', {})).error).toBeUndefined();
    // The revoked token cannot come back, with its session's name or without.
    const again = await RawRelay.open(server.url);
    const res = await again.call('signalwire.connect', { version: { major: 2, minor: 0, revision: 0 }, authentication: { project: tenant.projectId, token: revocable.token }, protocol: revoked.result.protocol });
    expect(res.error?.code).toBe(-32002);
    await kept.relay.close();
  });

  it('is noticed without an announcement (the CLI on SQLite): within the check interval and the credential cache', async () => {
    const { relay } = await RawRelay.connected(server.url, tenant.projectId, quiet.token, { contexts: ['office'] });
    expect(await projectService(server).revokeToken(tenant.projectId, quiet.id)).toBe(true);
    const started = Date.now();
    expect(await Promise.race([relay.closed(), new Promise((r) => setTimeout(() => r('still open'), 15_000))])).toBe(1008);
    expect(Date.now() - started).toBeLessThan(11_500);
  }, 20_000);
});
