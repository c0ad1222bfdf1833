import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * Several nodes on one database: named leases (a carrier connection owned by one node at a time),
 * the nodes' heartbeats (whose unfinished work another node adopts when one dies), and jobs pinned
 * to the carrier that must send them (only the node owning that carrier's connection claims them).
 */
export function scaleoutSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cluster_leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .addColumn('acquired_at', t.millis, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('cluster_nodes')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('started_at', t.millis, (c) => c.notNull())
        .addColumn('heartbeat_at', t.millis, (c) => c.notNull())
        .execute();

      // RELAY sessions waiting to be resumed, on whichever node the client comes back to. The node
      // that parked a session appends the events it misses; a claim takes session and events at once.
      await db.schema
        .createTable('relay_parked_sessions')
        .addColumn('protocol', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('contexts', 'text', (c) => c.notNull())
        .addColumn('event_acks', 'integer', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('parked_at', t.millis, (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('relay_parked_sessions_expiry').on('relay_parked_sessions').columns(['expires_at']).execute();
      await t
        .serialPrimaryKey(db.schema.createTable('relay_parked_events'), 'seq')
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('at', t.millis, (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('relay_parked_events_key').on('relay_parked_events').columns(['protocol', 'key']).unique().execute();

      await db.schema.alterTable('jobs').addColumn('carrier', 'text').execute();
      // Claims look for due jobs of a kind that any node may take, or that are pinned to a carrier.
      await db.schema.createIndex('jobs_pinned_due').on('jobs').columns(['carrier', 'run_at']).where(sql.ref('carrier'), 'is not', null).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('jobs_pinned_due').ifExists().execute();
      await db.schema.alterTable('jobs').dropColumn('carrier').execute();
      await db.schema.dropTable('relay_parked_events').ifExists().execute();
      await db.schema.dropTable('relay_parked_sessions').ifExists().execute();
      await db.schema.dropTable('cluster_nodes').ifExists().execute();
      await db.schema.dropTable('cluster_leases').ifExists().execute();
    },
  };
}
