/**
 * The rows of a parked RELAY session (`relay_parked_sessions` and its `relay_parked_events`), as
 * both kinds of taker read them: a parked session being resumed (relay-resume-store.ts) and a
 * session's checkpoint (relay-checkpoints.ts), which is stored in the same tables.
 */
import type { Kysely, Selectable } from 'kysely';
import { num } from './rows.js';
import type { Database, RelayParkedSessionsTable } from './schema.js';

/** Delete and return a session's row (of `projectId` only) and its event rows, in one transaction: whoever takes them owns them. */
export function takeParkedRows(db: Kysely<Database>, projectId: string, protocol: string) {
  return db.transaction().execute(async (tx) => {
    const row = await tx.deleteFrom('relay_parked_sessions').where('protocol', '=', protocol).where('project_id', '=', projectId).returningAll().executeTakeFirst();
    if (!row) return undefined;
    const events = await tx.deleteFrom('relay_parked_events').where('protocol', '=', protocol).returningAll().execute();
    return { row, events };
  });
}

/** The fields of a session's row that every taker reads the same way. */
export function parkedSessionFields(row: Selectable<RelayParkedSessionsTable>): { tokenId: string | null; contexts: string[]; eventAcks: boolean; expiresAt: number } {
  return { tokenId: row.token_id ?? null, contexts: JSON.parse(row.contexts) as string[], eventAcks: row.event_acks === 1, expiresAt: num(row.expires_at) };
}
