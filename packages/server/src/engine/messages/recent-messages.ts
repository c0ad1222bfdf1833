/**
 * Recently accepted messages, kept in memory for their immutable fields (numbers, body, media,
 * context, callback...). A state change reads back only the columns that change and completes the
 * record from here, instead of materialising whole rows three times per message. Mutable fields
 * always come from the database, so a stale entry (another node changed the message) cannot show a
 * wrong state; a miss (restart, eviction, another node accepted it) is read from the database.
 */
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord, MessageState } from '../../domain/message.js';
import { withState } from '../../domain/message.js';
import type { Repositories } from '../../domain/ports/store.js';

export class RecentMessages {
  private readonly byId = new Map<string, MessageRecord>();

  constructor(private readonly capacity = 50_000) {}

  remember(record: MessageRecord): void {
    this.byId.delete(record.id);
    this.byId.set(record.id, record);
    if (this.byId.size > this.capacity) this.byId.delete(this.byId.keys().next().value!);
  }

  forget(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The messages of jobs just claimed in `tx`, by id: their current state read narrowly, completed from here. */
  async ofJobs(tx: Repositories, jobs: readonly Pick<JobRecord, 'projectId' | 'messageId'>[]): Promise<Map<string, MessageRecord>> {
    const byProject = new Map<string, string[]>();
    for (const j of jobs) (byProject.get(j.projectId) ?? byProject.set(j.projectId, []).get(j.projectId)!).push(j.messageId);
    const out = new Map<string, MessageRecord>();
    for (const [projectId, ids] of byProject) for (const m of await this.complete(tx, await tx.messages.statesOf(projectId, ids))) out.set(m.id, m);
    return out;
  }

  /** Whole records for states just read or written in `tx`, in the same order; misses are read from `tx`. */
  async complete(tx: Repositories, states: readonly MessageState[]): Promise<MessageRecord[]> {
    const out: Array<MessageRecord | undefined> = new Array(states.length);
    const missing = new Map<string, string[]>();
    states.forEach((state, i) => {
      const base = this.byId.get(state.id);
      if (base && base.projectId === state.projectId) out[i] = withState(base, state);
      else {
        const ids = missing.get(state.projectId);
        if (ids) ids.push(state.id);
        else missing.set(state.projectId, [state.id]);
      }
    });
    if (missing.size) {
      const loaded = new Map<string, MessageRecord>();
      for (const [projectId, ids] of missing) for (const m of await tx.messages.getMany(projectId, ids)) loaded.set(m.id, m);
      states.forEach((state, i) => {
        // The row read now may already be past this state (a later round of the same batch):
        // each entry keeps its own state, or a message's `sent` would be reported as `delivered`.
        const m = out[i] ? undefined : loaded.get(state.id);
        if (m) out[i] = withState(m, state);
      });
    }
    const records = out.filter((r): r is MessageRecord => r !== undefined);
    for (const r of records) {
      if (r.status === 'delivered' || r.status === 'undelivered' || r.status === 'failed') this.forget(r.id);
      else this.remember(r);
    }
    return records;
  }
}
