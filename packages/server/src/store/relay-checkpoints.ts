/**
 * Checkpoints of live RELAY sessions in the database (relay/checkpoints.ts writes them), on both
 * dialects: a node killed with its sessions live (or parked in memory, on SQLite) leaves where each
 * stood, and the node the client comes back to resumes it from there.
 *
 * Kept in the parked-session tables under a protocol of their own (`checkpoint:<protocol>`), so a
 * claim of a parked session never takes one: the session's row (project, token, contexts,
 * `event_acks`, the node, `parked_at` holding its position in message time, `expires_at`) and one
 * event row, key `had`, whose params list the keys of the events the client had since that position.
 * They expire with the parked sessions (SharedResumeStore.expire), and are not forgotten with a
 * dead node's parked sessions (SharedResumeStore.forgetInstance): that is what they are for.
 */
import type { Kysely } from 'kysely';
import type { RelayCheckpointStore, RelaySessionCheckpoint, TokenCheck } from '../domain/ports/relay-resume.js';
import { CHECKPOINT_PREFIX, parkedSessionFields, takeCheckedRows } from './parked-rows.js';
import { chunkRows, num } from './rows.js';
import type { Database } from './schema.js';

export { CHECKPOINT_PREFIX };
/** The key of the event row listing what the client had. */
const HAD = 'had';
/** Transactions of one save: a retry after another node inserted one of its checkpoints first. */
const SAVE_ATTEMPTS = 3;

export class SqlRelayCheckpoints implements RelayCheckpointStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: { readonly instanceId: string; readonly maxParameters: number; readonly rowLocks: boolean; isUniqueViolation(err: unknown): boolean },
  ) {}

  /**
   * Writes `given` (one per session: the later expiry) and deletes `forget`, in one transaction. A
   * checkpoint no node had stored is locked by none: two nodes saving it at once (a session a few
   * seconds old moved from one to the other, or taken meanwhile) both insert it, and the second
   * insert fails, with it the whole transaction, the node's other sessions of every project. Tried
   * again then, it finds the row and keeps the newer (a checkpoint of its project's session: what
   * the others lose is a tick). So too when the other node's insert commits after this one's read:
   * only the rows read (and locked) are replaced, never one committed since.
   */
  async save(given: readonly RelaySessionCheckpoint[], forget: readonly string[]): Promise<void> {
    if (given.length === 0 && forget.length === 0) return;
    // One per session, the later expiry (of equals, the last given): a client back within a tick has
    // both the checkpoint of its park and that of its live session saved together.
    const latest = new Map<string, RelaySessionCheckpoint>();
    for (const c of given) if (c.expiresAt >= (latest.get(c.protocol)?.expiresAt ?? -Infinity)) latest.set(c.protocol, c);
    const write = [...latest.values()];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.saveOnce(write, forget);
      } catch (err) {
        if (attempt >= SAVE_ATTEMPTS || !this.opts.isUniqueViolation(err)) throw err;
      }
    }
  }

  private async saveOnce(write: readonly RelaySessionCheckpoint[], forget: readonly string[]): Promise<void> {
    // Sorted: two nodes writing the same sessions lock their rows in one order.
    const touched = [...new Set([...write.map((c) => c.protocol), ...forget])].sort().map((p) => CHECKPOINT_PREFIX + p);
    await this.db.transaction().execute(async (tx) => {
      // A checkpoint saved since by another node (its client resumed there, and this node's write of
      // its park came late) is newer: its expiry is later, and an older one does not replace it.
      const expiries = new Map<string, number>();
      for (const chunk of chunkRows(touched, 1, this.opts.maxParameters)) {
        const rows = await tx.selectFrom('relay_parked_sessions').select(['protocol', 'expires_at']).where('protocol', 'in', chunk).orderBy('protocol').$if(this.opts.rowLocks, (q) => q.forUpdate()).execute();
        for (const r of rows) expiries.set(r.protocol, num(r.expires_at));
      }
      const kept = write.filter((c) => (expiries.get(CHECKPOINT_PREFIX + c.protocol) ?? -Infinity) <= c.expiresAt);
      // The session's rows before its events, as everywhere (relay-resume-store.ts); the rows were
      // locked above, in protocol order. Only those read there: one another node inserted since (none
      // to lock then) may be newer, and deleting it here let an older checkpoint replace it; left, it
      // makes this insert fail, and the next attempt reads it.
      const replaced = kept.map((c) => CHECKPOINT_PREFIX + c.protocol).filter((p) => expiries.has(p)).sort();
      for (const chunk of chunkRows(replaced, 1, this.opts.maxParameters)) {
        await tx.deleteFrom('relay_parked_sessions').where('protocol', 'in', chunk).execute();
        await tx.deleteFrom('relay_parked_events').where('protocol', 'in', chunk).execute();
      }
      // A checkpoint only forgotten goes when this node wrote it: one another node saved since is of
      // the session live there (its client resumed there while this node still listed its park).
      const written = new Set(kept.map((c) => CHECKPOINT_PREFIX + c.protocol));
      const forgotten = [...new Set(forget.map((p) => CHECKPOINT_PREFIX + p))].filter((p) => !written.has(p)).sort();
      for (const chunk of chunkRows(forgotten, 1, this.opts.maxParameters - 1)) {
        const deleted = await tx.deleteFrom('relay_parked_sessions').where('protocol', 'in', chunk).where('instance_id', '=', this.opts.instanceId).returning('protocol').execute();
        if (deleted.length > 0) await tx.deleteFrom('relay_parked_events').where('protocol', 'in', deleted.map((d) => d.protocol)).execute();
      }
      const sessions = kept.map((c) => ({
        protocol: CHECKPOINT_PREFIX + c.protocol,
        project_id: c.projectId,
        token_id: c.tokenId,
        contexts: JSON.stringify(c.contexts),
        event_acks: c.eventAcks ? 1 : 0,
        instance_id: this.opts.instanceId,
        parked_at: Math.floor(c.since),
        expires_at: c.expiresAt,
      }));
      for (const chunk of chunkRows(sessions, 8, this.opts.maxParameters)) await tx.insertInto('relay_parked_sessions').values(chunk).execute();
      const had = kept.map((c) => ({ protocol: CHECKPOINT_PREFIX + c.protocol, event_id: HAD, key: HAD, at: Math.floor(c.since), params: JSON.stringify(c.had) }));
      for (const chunk of chunkRows(had, 5, this.opts.maxParameters)) await tx.insertInto('relay_parked_events').values(chunk).execute();
    });
  }

  async take(projectId: string, protocol: string, now: number, isActive?: TokenCheck): Promise<RelaySessionCheckpoint | undefined> {
    const { taken, revoked } = await takeCheckedRows(this.db, projectId, CHECKPOINT_PREFIX + protocol, isActive);
    if (!taken || revoked || num(taken.row.expires_at) <= now) return undefined;
    const had = taken.events.find((e) => e.key === HAD)?.params;
    return { protocol, projectId, ...parkedSessionFields(taken.row), since: num(taken.row.parked_at), had: had ? (JSON.parse(had) as string[]) : [] };
  }
}
