import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/** Projects, credentials, numbers, messages and their events, the job queue, the webhook outbox, the handset inbox. */
export function initialSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('signing_key', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', t.bytes, (c) => c.notNull())
        .addColumn('token_prefix', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('revoked_at', t.millis)
        .execute();
      await db.schema.createIndex('api_tokens_project').on('api_tokens').columns(['project_id']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('phone_numbers'), 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('number', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('number_type', 'text', (c) => c.notNull())
        .addColumn('country_code', 'text')
        .addColumn('capabilities', 'text', (c) => c.notNull())
        .addColumn('message_handler', 'text')
        .addColumn('message_request_url', 'text')
        .addColumn('message_request_method', 'text', (c) => c.notNull().defaultTo('POST'))
        .addColumn('message_fallback_url', 'text')
        .addColumn('message_fallback_method', 'text', (c) => c.notNull().defaultTo('POST'))
        .addColumn('message_laml_application_id', 'text')
        .addColumn('message_relay_topic', 'text')
        .addColumn('message_relay_context', 'text')
        .addColumn('messaging_handler_resource_id', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('phone_numbers_project_seq').on('phone_numbers').columns(['project_id', 'seq']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('messages'), 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('from_number', 'text', (c) => c.notNull())
        .addColumn('to_number', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('media', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('encoding', 'text', (c) => c.notNull())
        .addColumn('segments', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('reason', 'text')
        .addColumn('status_callback', 'text')
        .addColumn('callback_format', 'text')
        .addColumn('custom_variables', 'text')
        .addColumn('context', 'text')
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('number_group_id', 'text')
        .addColumn('application_id', 'text')
        .addColumn('price', t.double)
        .addColumn('price_unit', 'text', (c) => c.notNull())
        .addColumn('max_price', 'text')
        .addColumn('validity_period', 'integer', (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .addColumn('carrier', 'text')
        .addColumn('carrier_message_id', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addColumn('sent_at', t.millis)
        .addColumn('redacted_at', t.millis)
        .addColumn('deleted_at', t.millis)
        .execute();
      await db.schema.createIndex('messages_project_seq').on('messages').columns(['project_id', 'seq']).execute();
      // Restart recovery looks up what a carrier accepted and has not yet receipted.
      await db.schema
        .createIndex('messages_awaiting_receipt')
        .on('messages')
        .columns(['carrier', 'seq'])
        .where(sql.ref('status'), '=', 'sent')
        .execute();

      await t
        .serialPrimaryKey(db.schema.createTable('message_events'), 'id')
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('at', t.millis, (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('message_events_message').on('message_events').columns(['message_id']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('jobs'), 'id')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('run_at', t.millis, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_due').on('jobs').columns(['kind', 'run_at']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('webhook_deliveries'), 'id')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('fallback_url', 'text')
        .addColumn('fallback_method', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', t.millis, (c) => c.notNull())
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('lease_owner', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_due')
        .on('webhook_deliveries')
        .columns(['next_attempt_at'])
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema.createIndex('webhook_deliveries_message').on('webhook_deliveries').columns(['message_id', 'id']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('webhook_attempts'), 'id')
        .addColumn('delivery_id', 'bigint', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('at', t.millis, (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('response_excerpt', 'text')
        .execute();
      await db.schema.createIndex('webhook_attempts_delivery').on('webhook_attempts').columns(['delivery_id']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('handset_messages'), 'seq')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('from_number', 'text', (c) => c.notNull())
        .addColumn('to_number', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('media', 'text', (c) => c.notNull())
        .addColumn('segments', 'integer', (c) => c.notNull())
        .addColumn('received_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('handset_messages_project_seq').on('handset_messages').columns(['project_id', 'seq']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['handset_messages', 'webhook_attempts', 'webhook_deliveries', 'jobs', 'message_events', 'messages', 'phone_numbers', 'api_tokens', 'projects']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
