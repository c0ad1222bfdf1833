import type { Kysely } from 'kysely';
import type { TokenScope } from '../../domain/credentials.js';
import type { ConsoleSessionRecord, ConsoleSessionRepository } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { num } from '../rows.js';

/** How many sessions beyond the limit one login removes at most (more only after the limit was lowered). */
const EVICT_BATCH = 100;

export class KyselyConsoleSessionRepository implements ConsoleSessionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
  ) {}

  async create(s: ConsoleSessionRecord, maxPerCredential = Infinity): Promise<Buffer[]> {
    const insert = (db: Kysely<Database>) =>
      db
        .insertInto('console_sessions')
        .values({ id_hash: s.idHash, project_id: s.projectId, token_id: s.tokenId, scopes: JSON.stringify(s.scopes), dev: s.dev ? 1 : 0, created_at: s.createdAt, expires_at: s.expiresAt })
        .execute();
    if (maxPerCredential === Infinity) {
      await insert(this.db);
      return [];
    }
    return this.db.transaction().execute(async (db) => {
      // Logins of one project one after the other (SQLite's one writer does it there), so two at
      // once cannot both keep the limit and leave one more; inserts that refer to the project go on.
      await this.traits.lockReferenced(db.selectFrom('projects').select('id').where('id', '=', s.projectId)).execute();
      await insert(db);
      // The one just opened stays, with the newest others up to `maxPerCredential`; older ones go
      // (the new one is left out by id: others may have been opened in the same millisecond).
      const older = await db
        .selectFrom('console_sessions')
        .select('id_hash')
        .where('project_id', '=', s.projectId)
        .where('token_id', s.tokenId === null ? 'is' : '=', s.tokenId)
        .where('id_hash', '!=', s.idHash)
        .orderBy('created_at', 'desc')
        .orderBy('id_hash', 'desc')
        .limit(EVICT_BATCH)
        .offset(maxPerCredential - 1)
        .execute();
      const evicted = older.map((r) => (Buffer.isBuffer(r.id_hash) ? r.id_hash : Buffer.from(r.id_hash as Uint8Array)));
      if (evicted.length) await db.deleteFrom('console_sessions').where('id_hash', 'in', evicted).execute();
      return evicted;
    });
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
