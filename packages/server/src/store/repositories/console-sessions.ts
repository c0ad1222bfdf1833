import type { Kysely } from 'kysely';
import type { TokenScope } from '../../domain/credentials.js';
import type { ConsoleSessionRecord, ConsoleSessionRepository } from '../../domain/ports/store.js';
import type { Database } from '../schema.js';
import { num } from '../rows.js';

export class KyselyConsoleSessionRepository implements ConsoleSessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(s: ConsoleSessionRecord): Promise<void> {
    await this.db
      .insertInto('console_sessions')
      .values({ id_hash: s.idHash, project_id: s.projectId, token_id: s.tokenId, scopes: JSON.stringify(s.scopes), dev: s.dev ? 1 : 0, created_at: s.createdAt, expires_at: s.expiresAt })
      .execute();
  }

  async find(idHash: Buffer, now: number): Promise<ConsoleSessionRecord | undefined> {
    const row = await this.db
      .selectFrom('console_sessions as s')
      .leftJoin('api_tokens as t', 't.id', 's.token_id')
      .select(['s.id_hash', 's.project_id', 's.token_id', 's.scopes', 's.dev', 's.created_at', 's.expires_at', 't.id as live_token', 't.revoked_at'])
      .where('s.id_hash', '=', idHash)
      .where('s.expires_at', '>', now)
      .executeTakeFirst();
    if (!row) return undefined;
    // A session opened with a token ends when the token is revoked or removed.
    if (row.token_id !== null && (row.live_token === null || row.revoked_at !== null)) return undefined;
    return {
      idHash: Buffer.isBuffer(row.id_hash) ? row.id_hash : Buffer.from(row.id_hash as Uint8Array),
      projectId: row.project_id,
      tokenId: row.token_id,
      scopes: JSON.parse(row.scopes) as TokenScope[],
      dev: num(row.dev) === 1,
      createdAt: num(row.created_at),
      expiresAt: num(row.expires_at),
    };
  }

  async extend(idHash: Buffer, expiresAt: number): Promise<void> {
    await this.db.updateTable('console_sessions').set({ expires_at: expiresAt }).where('id_hash', '=', idHash).execute();
  }

  async delete(idHash: Buffer): Promise<boolean> {
    const r = await this.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteExpired(now: number): Promise<number> {
    const r = await this.db.deleteFrom('console_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
