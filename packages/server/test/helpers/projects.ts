/**
 * Extra projects and tokens for tests that need a second tenant or a token with fewer scopes, and
 * the phone numbers of a project. Projects are written through the same `ProjectService` the CLI
 * uses, straight into the test server's store; the server's credential cache has never seen a new
 * project, so it loads it on first use.
 */
import { expect } from 'vitest';
import { InProcessBus } from '../../src/bus/in-process-bus.js';
import { systemClock } from '../../src/domain/clock.js';
import type { TokenScope } from '../../src/domain/credentials.js';
import { randomIds } from '../../src/domain/ids.js';
import { ProjectService } from '../../src/engine/admin/project-service.js';
import { basicAuth, type TestServer } from './server.js';

export interface TestProject {
  readonly projectId: string;
  readonly token: string;
  /** `Authorization` header value for this project and token. */
  readonly auth: string;
  readonly signingKey: string;
}

/** The project service over the test server's store (as the CLI builds it). */
export function projectService(server: TestServer): ProjectService {
  return new ProjectService({ store: server.store, clock: systemClock, ids: randomIds, bus: new InProcessBus() });
}

/**
 * Create a project with one token (all scopes unless given). Use a new project per scope set.
 * `number` is registered to it through the phone-numbers API (which must accept it).
 */
export async function createProject(server: TestServer, opts: { name?: string; scopes?: readonly TokenScope[]; number?: string } = {}): Promise<TestProject> {
  const projects = projectService(server);
  const project = await projects.createProject({ name: opts.name ?? 'Second project' });
  const issued = await projects.issueToken(project.id, { name: 'test', ...(opts.scopes ? { scopes: opts.scopes } : {}) });
  const created: TestProject = { projectId: project.id, token: issued.token, auth: basicAuth(project.id, issued.token), signingKey: project.signingKey };
  if (opts.number !== undefined) {
    const registered = await server.api('/api/relay/rest/phone_numbers', { auth: created.auth, body: { number: opts.number } });
    expect(registered.status, registered.text).toBe(200);
  }
  return created;
}

/** The id of one of the configured project's phone numbers. */
export async function phoneNumberId(server: TestServer, number: string): Promise<string> {
  const res = await server.api(`/api/relay/rest/phone_numbers?filter_number=${encodeURIComponent(number)}`);
  const found = (res.body?.data ?? []).find((p: { number: string }) => p.number === number);
  if (!found) throw new Error(`${number} is not a phone number of the project (${res.status}: ${res.text})`);
  return found.id;
}
