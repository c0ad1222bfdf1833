import type { Kysely } from 'kysely';
import type { ServerKeyRepository } from '../../domain/ports/store.js';
import type { Database } from '../schema.js';

export class KyselyServerKeyRepository implements ServerKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async getOrCreate(name: string, candidate: string, at: number): Promise<string> {
    const stored = () => this.db.selectFrom('server_keys').select('secret').where('name', '=', name).executeTakeFirst();
    const found = await stored();
    if (found) return found.secret;
    await this.db
      .insertInto('server_keys')
      .values({ name, secret: candidate, created_at: at })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await stored())!.secret;
  }
}
