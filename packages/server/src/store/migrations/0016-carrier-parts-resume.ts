import type { Kysely, Migration } from 'kysely';

/**
 * What a retry of a multipart SMPP message needs from the parts the SMSC already accepted, so it
 * sends only the others (on any node, after a restart): the concatenation reference they went
 * with, and each part's id as the SMSC wrote it (part 1's becomes the message's carrier id).
 * Null in rows written before (their messages are sent whole again, as before).
 */
export function carrierPartsResumeSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('carrier_parts').addColumn('concat_reference', 'integer').execute();
      await db.schema.alterTable('carrier_parts').addColumn('submitted_id', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['submitted_id', 'concat_reference']) await db.schema.alterTable('carrier_parts').dropColumn(column).execute();
    },
  };
}
