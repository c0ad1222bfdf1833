import { sql, type Kysely } from 'kysely';
import type { ProjectRepository, TokenRepository } from '../../domain/ports/store.js';
import type { ApiTokenRecord, ProjectRecord } from '../../domain/project.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { projectFromRow, tokenFromRow } from '../rows.js';

/** The advisory lock key that serializes first starts on PostgreSQL (any constant no other lock uses). */
const FIRST_START_LOCK = 0x5342_0001;

export class KyselyProjectRepository implements ProjectRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async create(p: ProjectRecord): Promise<void> {
    await this.db.insertInto('projects').values({ id: p.id, name: p.name, signing_key: p.signingKey, created_at: p.createdAt }).execute();
  }

  async get(projectId: string): Promise<ProjectRecord | undefined> {
    const row = await this.db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirst();
    return row && projectFromRow(row);
  }

  async list(): Promise<ProjectRecord[]> {
    const rows = await this.db.selectFrom('projects').selectAll().orderBy('created_at').execute();
    return rows.map(projectFromRow);
  }

  async holdFirstStart(): Promise<void> {
    if (this.traits.name === 'postgres') await sql`select pg_advisory_xact_lock(${FIRST_START_LOCK})`.execute(this.db);
  }

  async setSigningKey(projectId: string, signingKey: string): Promise<void> {
    await this.db.updateTable('projects').set({ signing_key: signingKey }).where('id', '=', projectId).execute();
  }

  async rename(projectId: string, name: string): Promise<boolean> {
    const result = await this.db.updateTable('projects').set({ name }).where('id', '=', projectId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

export class KyselyTokenRepository implements TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(t: ApiTokenRecord): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: t.id,
        project_id: t.projectId,
        name: t.name,
        token_hash: t.tokenHash,
        token_prefix: t.tokenPrefix,
        scopes: JSON.stringify(t.scopes),
        created_at: t.createdAt,
        revoked_at: t.revokedAt,
        test: t.test ? 1 : 0,
      })
      .execute();
  }

  async listActive(projectId: string): Promise<ApiTokenRecord[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().where('project_id', '=', projectId).where('revoked_at', 'is', null).execute();
    return rows.map(tokenFromRow);
  }

  async list(projectId: string): Promise<ApiTokenRecord[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().where('project_id', '=', projectId).orderBy('created_at').execute();
    return rows.map(tokenFromRow);
  }

  async revoke(projectId: string, tokenId: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('project_id', '=', projectId)
      .where('id', '=', tokenId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
