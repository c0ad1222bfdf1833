import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';
import { columnTypes } from './column-types.js';

/**
 * The Compatibility API's tables: number groups with their memberships and sticky senders,
 * cXML applications, and media items of messages (each with its own sid).
 */
export function compatSchema(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .serialPrimaryKey(db.schema.createTable('number_groups'), 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sticky_sender', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('number_groups_project_seq').on('number_groups').columns(['project_id', 'seq']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('number_group_memberships'), 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('group_id', 'text', (c) => c.notNull().references('number_groups.id').onDelete('cascade'))
        // Releasing a number takes it out of its groups.
        .addColumn('phone_number_id', 'text', (c) => c.notNull().references('phone_numbers.id').onDelete('cascade'))
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addUniqueConstraint('number_group_memberships_group_number', ['group_id', 'phone_number_id'])
        .execute();
      await db.schema.createIndex('number_group_memberships_number').on('number_group_memberships').columns(['phone_number_id']).execute();

      await db.schema
        .createTable('number_group_sticky')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('group_id', 'text', (c) => c.notNull().references('number_groups.id').onDelete('cascade'))
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('phone_number_id', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('number_group_sticky_pk', ['group_id', 'destination'])
        .execute();

      await t
        .serialPrimaryKey(db.schema.createTable('cxml_applications'), 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('friendly_name', 'text', (c) => c.notNull())
        .addColumn('sms_url', 'text')
        .addColumn('sms_method', 'text', (c) => c.notNull())
        .addColumn('sms_fallback_url', 'text')
        .addColumn('sms_fallback_method', 'text', (c) => c.notNull())
        .addColumn('sms_status_callback', 'text')
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cxml_applications_project_seq').on('cxml_applications').columns(['project_id', 'seq']).execute();

      await t
        .serialPrimaryKey(db.schema.createTable('message_media'), 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('message_media_message_seq').on('message_media').columns(['message_id', 'seq']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['message_media', 'cxml_applications', 'number_group_sticky', 'number_group_memberships', 'number_groups']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
