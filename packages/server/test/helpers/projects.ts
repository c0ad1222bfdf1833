/**
 * Extra projects and tokens for tests that need a second tenant or a token with fewer scopes.
 * They are written through the same `ProjectService` the CLI uses, straight into the test server's
 * store; the server's credential cache has never seen a new project, so it loads it on first use.
 */
import { InProcessBus } from '../../src/bus/in-process-bus.js';
import { systemClock } from '../../src/domain/clock.js';
import type { TokenScope } from '../../src/domain/credentials.js';
import { randomIds } from '../../src/domain/ids.js';
import { ProjectService } from '../../src/engine/project-service.js';
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

/** Create a project with one token (all scopes unless given). Use a new project per scope set. */
export async function createProject(server: TestServer, opts: { name?: string; scopes?: readonly TokenScope[] } = {}): Promise<TestProject> {
  const projects = projectService(server);
  const project = await projects.createProject({ name: opts.name ?? 'Second project' });
  const issued = await projects.issueToken(project.id, { name: 'test', ...(opts.scopes ? { scopes: opts.scopes } : {}) });
  return { projectId: project.id, token: issued.token, auth: basicAuth(project.id, issued.token), signingKey: project.signingKey };
}
