import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../../domain/ports/store.js';

/**
 * cXML sessions: `messages.cxml_session` names, on a reply a cXML document sent, the inbound message
 * whose webhook began the exchange (a redirect or a `<Message action>` document continues it), so
 * the replies to one inbound message can be counted and capped (Twilio's 14109: 10 per inbound
 * message). The partial index holds only such replies: other messages' writes do not touch it.
 */
export function cxmlSessionsSchema(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('messages').addColumn('cxml_session', 'text').execute();
      await db.schema
        .createIndex('messages_cxml_session')
        .on('messages')
        .columns(['project_id', 'cxml_session'])
        .where(sql.ref('cxml_session'), 'is not', null)
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_cxml_session').ifExists().execute();
      await db.schema.alterTable('messages').dropColumn('cxml_session').execute();
    },
  };
}
