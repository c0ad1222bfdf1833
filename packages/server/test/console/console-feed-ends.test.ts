/**
 * The live feed is a long-lived read of a project's messages, so it lasts only as long as what
 * opened it: logging out or revoking the token ends an open stream (it was kept until the client
 * went away, so a revoked token's holder went on reading every message of the project).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, projectService, type TestProject } from '../helpers/projects.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { loginAs } from './console-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

/** Open the feed; `ended` resolves with the ms it stayed open once the server ends the stream (rejects after 10 s). */
async function openFeed(headers: Record<string, string>): Promise<{ ended: Promise<number> }> {
  const ac = new AbortController();
  const res = await fetch(`${server.url}/api/console/events`, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  expect(res.status).toBe(200);
  const started = Date.now();
  const ended = (async () => {
    const timer = setTimeout(() => ac.abort(), 10_000);
    try {
      for await (const _chunk of res.body as unknown as AsyncIterable<Uint8Array>) void _chunk;
      return Date.now() - started;
    } catch {
      throw new Error('the feed was still open after 10 s');
    } finally {
      clearTimeout(timer);
    }
  })();
  return { ended };
}

/** A project with a second token to revoke. */
async function withToken(): Promise<{ project: TestProject; tokenId: string; token: string }> {
  const project = await createProject(server, { name: 'Feed tenant' });
  const issued = await projectService(server).issueToken(project.projectId, { name: 'to revoke', scopes: ['messaging'] });
  return { project, tokenId: issued.record.id, token: issued.token };
}

describe('the live feed ends with what opened it', () => {
  it('ends when its console session logs out', async () => {
    const { project } = await withToken();
    const c = await loginAs(server, project.projectId, project.token);
    const feed = await openFeed({ cookie: c.cookie! });
    expect((await c.call('/api/console/logout', { method: 'POST' })).status).toBe(200);
    expect(await feed.ended).toBeLessThan(2000);
  });

  it("ends when the session's token is revoked", async () => {
    const { project, tokenId, token } = await withToken();
    const c = await loginAs(server, project.projectId, token);
    const feed = await openFeed({ cookie: c.cookie! });
    expect(await projectService(server).revokeToken(project.projectId, tokenId)).toBe(true);
    // As the CLI announces it on a shared bus (on SQLite the server learns it within its caches' lifetime).
    server.bus.publish('credentials.changed', { projectId: project.projectId });
    expect(await feed.ended).toBeLessThan(2000);
  });

  it('ends when the Basic credentials it was opened with are revoked', async () => {
    const { project, tokenId, token } = await withToken();
    const feed = await openFeed({ authorization: `Basic ${Buffer.from(`${project.projectId}:${token}`).toString('base64')}` });
    expect(await projectService(server).revokeToken(project.projectId, tokenId)).toBe(true);
    server.bus.publish('credentials.changed', { projectId: project.projectId });
    expect(await feed.ended).toBeLessThan(2000);
  });
});
