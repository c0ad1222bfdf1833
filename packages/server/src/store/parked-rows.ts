/**
 * The rows of a parked RELAY session (`relay_parked_sessions` and its `relay_parked_events`), as
 * both kinds of taker read them: a parked session being resumed (relay-resume-store.ts) and a
 * session's checkpoint (relay-checkpoints.ts), which is stored in the same tables.
 */
import type { Kysely, Selectable } from 'kysely';
import type { TokenCheck } from '../domain/ports/relay-resume.js';
import { num } from './rows.js';
import type { Database, RelayParkedSessionsTable } from './schema.js';

/** What a checkpoint's protocol starts with in the parked-session tables. */
export const CHECKPOINT_PREFIX = 'checkpoint:';

/** Looks of a checked take: another park replaced the row (with another token) between the check and the take. */
const TAKE_ATTEMPTS = 3;

/**
 * Delete and return a session's row (of `projectId` only) and its event rows, in one transaction:
 * whoever takes them owns them. With `tokenId` given, only a row of that token (null: of none).
 */
export function takeParkedRows(db: Kysely<Database>, projectId: string, protocol: string, tokenId?: string | null) {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .deleteFrom('relay_parked_sessions')
      .where('protocol', '=', protocol)
      .where('project_id', '=', projectId)
      .$if(tokenId !== undefined, (q) => (tokenId === null ? q.where('token_id', 'is', null) : q.where('token_id', '=', tokenId!)))
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    const events = await tx.deleteFrom('relay_parked_events').where('protocol', '=', protocol).returningAll().execute();
    return { row, events };
  });
}

/**
 * `takeParkedRows`, the row's token checked with `isActive` first: a check that fails (throws)
 * takes nothing, so a connect refused then leaves the session for its client's next attempt.
 * The rows of a revoked token are taken all the same (`revoked`: the session ends). Checked on
 * the row as read, taken only if it still has that token: a park replacing it meanwhile (by
 * another node, with another token) is read and checked again.
 */
export async function takeCheckedRows(db: Kysely<Database>, projectId: string, protocol: string, isActive: TokenCheck | undefined) {
  if (!isActive) return { taken: await takeParkedRows(db, projectId, protocol), revoked: false };
  for (let attempt = 1; ; attempt++) {
    const row = await db.selectFrom('relay_parked_sessions').select('token_id').where('protocol', '=', protocol).where('project_id', '=', projectId).executeTakeFirst();
    if (!row) return { taken: undefined, revoked: false };
    const tokenId = row.token_id ?? null;
    const active = tokenId === null || (await isActive(projectId, tokenId));
    const taken = await takeParkedRows(db, projectId, protocol, tokenId);
    if (taken || attempt >= TAKE_ATTEMPTS) return { taken, revoked: !active && taken !== undefined };
  }
}

/**
 * Delete the checkpoint of a parked session that was dropped at its claim (overflow, expired,
 * revoked): one not newer than the park (its expiry no later than the park's), whichever node
 * wrote it. Else the client, coming back to another node, resumed from it (`session_restored:
 * true`) what was dropped. One saved since (the session live again elsewhere) stays.
 */
export async function forgetCheckpointOf(db: Kysely<Database>, row: Selectable<RelayParkedSessionsTable>): Promise<void> {
  const checkpoint = CHECKPOINT_PREFIX + row.protocol;
  await db.transaction().execute(async (tx) => {
    const gone = await tx.deleteFrom('relay_parked_sessions').where('protocol', '=', checkpoint).where('project_id', '=', row.project_id).where('expires_at', '<=', num(row.expires_at)).returning('protocol').executeTakeFirst();
    if (gone) await tx.deleteFrom('relay_parked_events').where('protocol', '=', checkpoint).execute();
  });
}

/** The fields of a session's row that every taker reads the same way. */
export function parkedSessionFields(row: Selectable<RelayParkedSessionsTable>): { tokenId: string | null; contexts: string[]; eventAcks: boolean; expiresAt: number } {
  return { tokenId: row.token_id ?? null, contexts: JSON.parse(row.contexts) as string[], eventAcks: row.event_acks === 1, expiresAt: num(row.expires_at) };
}
