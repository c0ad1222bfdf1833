/**
 * The project a server starts with. On first start it creates a project, an API token, a signing
 * key and two numbers (inbound routed to the default RELAY context), all in one transaction, and
 * reports them once; with configured credentials it ensures exactly those exist, so tests and scripts get repeatable ones,
 * and a configured test token (Twilio's test credentials) likewise.
 */
import { isAppError } from '../../domain/app-error.js';
import { canonicalId } from '../../domain/ids.js';
import type { ProjectRecord } from '../../domain/project.js';
import type { Store } from '../../domain/ports/store.js';
import { inOneTransaction, storeWithin } from './in-transaction.js';
import type { NumberService } from './number-service.js';
import type { ProjectService } from './project-service.js';

/** Shorter configured live tokens are taken with a warning at start. */
const MIN_CONFIGURED_TOKEN_LENGTH = 20;

/**
 * A configured token whose secret the startup project already has as the other kind (live or
 * test): the verifier answers with the first it finds, so one of the two never works, and a suite
 * "on test credentials" could be sending for real. The start stops, naming what to change.
 */
export class StartupTokenConflict extends Error {
  override readonly name = 'StartupTokenConflict';
}

/** Numbers registered at first start when none are configured. */
export const BUILT_IN_NUMBERS = ['+15551230001', '+15551230002'];

export interface BootstrapSettings {
  readonly projectId: string | null;
  readonly projectName: string;
  readonly apiToken: string | null;
  /** A test token to ensure (`SWITCHBOARD_TEST_API_TOKEN`): sends made with it are answered, never sent. */
  readonly testApiToken?: string | null;
  readonly signingKey: string | null;
  readonly numbers: readonly string[] | null;
  readonly relayContext: string;
}

export interface BootstrapReport {
  readonly project: ProjectRecord;
  readonly created: boolean;
  /** The token secret, when it was created now or configured; null when it was shown at an earlier start. */
  readonly apiToken: string | null;
  readonly numbers: string[];
  readonly warnings: string[];
}

interface BootstrapDeps {
  readonly store: Store;
  readonly projects: ProjectService;
  readonly numbers: NumberService;
}

/**
 * Ensure the startup project (see the top of this file). Nodes of a cluster started together on an
 * empty database each find no project and each begin a first start. Inside its transaction a first
 * start waits for any other to end (`holdFirstStart`) and looks again, so the later one takes the
 * project the earlier made, even when no key of theirs collides (different numbers, no project id).
 * A start that still loses on a unique key (the built-in numbers, or the configured project id) has
 * written nothing, and is made once more; a failure of the second attempt stops the start as before.
 */
export async function ensureStartupProject(deps: BootstrapDeps, given: BootstrapSettings): Promise<BootstrapReport> {
  // A UUID in capitals is the project of its id in lower case, as credentials and paths read it
  // (`canonicalId`): made as written, the project's own credentials were refused everywhere.
  const s = given.projectId ? { ...given, projectId: canonicalId(given.projectId) } : given;
  try {
    return await startupProject(deps, s);
  } catch (err) {
    if (!lostToAnotherStart(deps.store, err)) throw err;
    return startupProject(deps, s);
  }
}

/**
 * A write of the start refused because another start wrote the same key first: a unique violation,
 * or the number service's NUMBER_TAKEN for one (a number found free a moment before, registered by
 * another node since; one another project had is skipped with a warning before any write).
 */
function lostToAnotherStart(store: Store, err: unknown): boolean {
  return store.isUniqueViolation(err) || isAppError(err, 'NUMBER_TAKEN');
}

/** The configured project, or the first there is. */
async function existingProject(store: Store, s: BootstrapSettings): Promise<ProjectRecord | undefined> {
  return s.projectId ? store.projects.get(s.projectId) : (await store.projects.list())[0];
}

async function startupProject(deps: BootstrapDeps, s: BootstrapSettings): Promise<BootstrapReport> {
  const found = await existingProject(deps.store, s);
  if (found) return ensureContents(deps, s, found, false);
  // A first start writes its project, tokens and numbers in one transaction: one stopped half-way
  // (killed, a full disk) left a project without its numbers, and the next start, finding a
  // project, took it for one whose numbers had been released and added none. Now it leaves nothing,
  // and the next start is a first start again.
  return inOneTransaction(
    deps.store,
    (tx, after): BootstrapDeps => ({ store: storeWithin(deps.store, tx), projects: deps.projects.within(tx, after), numbers: deps.numbers.within(tx, after) }),
    async (within) => {
      // Another node's first start may have committed since the read above, with keys that did not collide with ours.
      await within.store.projects.holdFirstStart();
      const made = await existingProject(within.store, s);
      if (made) return ensureContents(within, s, made, false);
      const project = await within.projects.createProject({ ...(s.projectId ? { id: s.projectId } : {}), name: s.projectName, ...(s.signingKey ? { signingKey: s.signingKey } : {}) });
      return ensureContents(within, s, project, true);
    },
  );
}

/** The startup project's tokens and numbers: those of a first start (`created`), and the configured ones. */
async function ensureContents(deps: BootstrapDeps, s: BootstrapSettings, found: ProjectRecord, created: boolean): Promise<BootstrapReport> {
  const warnings: string[] = [];
  let project = found;
  if (!created && s.signingKey && project.signingKey !== s.signingKey) {
    await deps.projects.setSigningKey(project.id, s.signingKey);
    project = { ...project, signingKey: s.signingKey };
  }

  let apiToken: string | null = null;
  if (s.apiToken) {
    if (await deps.projects.hasToken(project.id, s.apiToken, { test: true })) {
      throw new StartupTokenConflict(`SWITCHBOARD_API_TOKEN (--api-token) is the secret of a test token of project ${project.id}, so it could only answer as test credentials; give the live token a secret of its own, or revoke that test token (switchboard token list, token revoke)`);
    }
    if (!(await deps.projects.hasToken(project.id, s.apiToken))) await deps.projects.issueToken(project.id, { name: 'configured', token: s.apiToken });
    apiToken = s.apiToken;
    // Taken (an operator may have clients using it), but said: failed logins are throttled, not stopped.
    if (s.apiToken.length < MIN_CONFIGURED_TOKEN_LENGTH) {
      warnings.push(`SWITCHBOARD_API_TOKEN (--api-token) is ${s.apiToken.length} characters long: short enough to guess. Give it at least ${MIN_CONFIGURED_TOKEN_LENGTH} random characters (a generated token has 50).`);
    }
  } else if (created) {
    apiToken = (await deps.projects.issueToken(project.id, { name: 'first start' })).token;
  }

  if (s.testApiToken) {
    // One secret cannot be both kinds: the live token would shadow the test one.
    if (s.testApiToken === s.apiToken) warnings.push('The test API token is the same secret as the API token; it stays a live token.');
    else if (await deps.projects.hasToken(project.id, s.testApiToken, { test: false })) {
      throw new StartupTokenConflict(`SWITCHBOARD_TEST_API_TOKEN is the secret of a live token of project ${project.id} (one a start printed, or one token create made), so requests with it would be sent for real; give the test token a secret of its own, or revoke that live token (switchboard token list, token revoke)`);
    } else if (!(await deps.projects.hasToken(project.id, s.testApiToken, { test: true }))) await deps.projects.issueToken(project.id, { name: 'configured test', token: s.testApiToken, test: true });
  }

  const wanted = s.numbers ?? (created ? BUILT_IN_NUMBERS : []);
  for (const number of wanted) {
    const owner = await deps.store.numbers.resolveOwner(number);
    if (owner && owner.projectId !== project.id) {
      warnings.push(`${number} is registered with another project; not added to ${project.id}.`);
      continue;
    }
    if (!owner) {
      await deps.numbers.register(project.id, { number, name: 'Switchboard number', message_handler: 'relay_context', message_relay_context: s.relayContext });
    }
  }
  const page = await deps.store.numbers.list(project.id, {}, { limit: 20 });
  return { project, created, apiToken, numbers: page.map((n) => n.number).reverse(), warnings };
}
