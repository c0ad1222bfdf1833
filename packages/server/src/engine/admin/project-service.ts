/** Projects and their credentials: creation, API tokens (shown once, stored hashed), signing keys. */
import type { Clock } from '../../domain/clock.js';
import { generateApiToken, generateSigningKey, hashToken, tokenPrefix, TOKEN_SCOPES, type TokenScope } from '../../domain/credentials.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { Repositories, Store } from '../../domain/ports/store.js';
import type { ApiTokenRecord, ProjectRecord } from '../../domain/project.js';
import { storeWithin, type AfterCommit } from './in-transaction.js';

/** A token as created: the only time its secret is visible. */
export interface IssuedToken {
  readonly record: ApiTokenRecord;
  readonly token: string;
}

export class ProjectService {
  constructor(
    private readonly deps: { readonly store: Store; readonly clock: Clock; readonly ids: IdGenerator; readonly bus: Bus; readonly afterCommit?: AfterCommit },
  ) {}

  /** This service writing in the caller's transaction `tx`; its notices wait for `afterCommit`. */
  within(tx: Repositories, afterCommit: AfterCommit): ProjectService {
    return new ProjectService({ ...this.deps, store: storeWithin(this.deps.store, tx), afterCommit });
  }

  async createProject(opts: { id?: string; name: string; signingKey?: string }): Promise<ProjectRecord> {
    const project: ProjectRecord = {
      id: opts.id ?? this.deps.ids.uuid(),
      name: opts.name,
      signingKey: opts.signingKey ?? generateSigningKey(),
      createdAt: this.deps.clock.now(),
    };
    await this.deps.store.projects.create(project);
    return project;
  }

  /**
   * Create a token; pass `token` to register a known secret (configured credentials), `test` for a
   * test token (Twilio's test credentials: its sends are answered, never sent or stored).
   */
  async issueToken(projectId: string, opts: { name: string; scopes?: readonly TokenScope[]; token?: string; test?: boolean }): Promise<IssuedToken> {
    const token = opts.token ?? generateApiToken();
    const record: ApiTokenRecord = {
      id: this.deps.ids.uuid(),
      projectId,
      name: opts.name,
      tokenHash: hashToken(token),
      tokenPrefix: tokenPrefix(token),
      scopes: [...(opts.scopes ?? TOKEN_SCOPES)],
      createdAt: this.deps.clock.now(),
      revokedAt: null,
      test: opts.test ?? false,
    };
    await this.deps.store.tokens.create(record);
    this.changed(projectId);
    return { record, token };
  }

  /** True when an active token of the project has exactly this secret (and, when `test` is given, is of that kind). */
  async hasToken(projectId: string, token: string, opts: { test?: boolean } = {}): Promise<boolean> {
    const digest = hashToken(token);
    return (await this.deps.store.tokens.listActive(projectId)).some((t) => t.tokenHash.equals(digest) && (opts.test === undefined || t.test === opts.test));
  }

  async revokeToken(projectId: string, tokenId: string): Promise<boolean> {
    const revoked = await this.deps.store.tokens.revoke(projectId, tokenId, this.deps.clock.now());
    if (revoked) this.changed(projectId);
    return revoked;
  }

  /** Rename the project (the Compatibility API's account FriendlyName); false when there is no such project. */
  async rename(projectId: string, name: string): Promise<boolean> {
    return this.deps.store.projects.rename(projectId, name);
  }

  /** Replace the signing key (a given one, or a new random one). */
  async setSigningKey(projectId: string, signingKey: string = generateSigningKey()): Promise<string> {
    await this.deps.store.projects.setSigningKey(projectId, signingKey);
    this.changed(projectId);
    return signingKey;
  }

  private changed(projectId: string): void {
    const notify = () => this.deps.bus.publish('credentials.changed', { projectId });
    if (this.deps.afterCommit) this.deps.afterCommit.add(notify);
    else notify();
  }
}
