import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Run `work` in the caller's transaction when `db` is one, otherwise in a transaction of its own:
 * a repository's several statements commit together either way.
 */
export function atomically<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
