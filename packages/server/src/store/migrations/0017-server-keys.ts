import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * Keys the server keeps to itself, shared by every node using the database: the first node that
 * needs one writes a random value, the others read it. `page-tokens` seals the list position
 * carried in page tokens (engine/page-tokens.ts), so the next page follows even when the record
 * that ended a page was deleted meanwhile, without showing a tenant the global sequence numbers.
 */
export function serverKeysSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('server_keys')
        .addColumn('name', 'text', (c) => c.primaryKey())
        // base64 of the random bytes.
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('server_keys').ifExists().execute();
    },
  };
}
