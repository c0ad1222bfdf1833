/**
 * One memory budget for every buffered RELAY event on this node (live sessions' unacknowledged
 * events and parked sessions' missed ones), so the total stays bounded whatever clients do.
 *
 * Each project may hold at most half of what the other projects leave: a session that cannot keep
 * an event is dropped, so without a share one project whose sessions never acknowledge (or that
 * parks sessions full of missed events) could spend the whole budget and have every other project's
 * sessions dropped at their next event, their resumes failing (`session_restored: false`). Half of
 * the whole budget each was not enough: two such projects spent it all, and a third was left none.
 * Alone a project may hold half the budget; a second greedy one a quarter, a third an eighth, so
 * some room is always left for the others. Within a project, the sessions holding most are shed
 * to make room (`budget-relief.ts`).
 */
export class BufferBudget {
  private usedBytes = 0;
  private readonly byProject = new Map<string, number>();

  constructor(readonly maxBytes: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Bytes `projectId`'s events hold. */
  usedBy(projectId: string): number {
    return this.byProject.get(projectId) ?? 0;
  }

  /** Reserve room for an event of `projectId`; false (nothing reserved) when the budget or the project's share of it is spent. */
  take(projectId: string, bytes: number): boolean {
    const mine = this.usedBy(projectId);
    const leftByOthers = this.maxBytes - (this.usedBytes - mine);
    if (this.usedBytes + bytes > this.maxBytes || mine + bytes > leftByOthers / 2) return false;
    this.usedBytes += bytes;
    this.byProject.set(projectId, mine + bytes);
    return true;
  }

  give(projectId: string, bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
    const left = this.usedBy(projectId) - bytes;
    if (left > 0) this.byProject.set(projectId, left);
    else this.byProject.delete(projectId);
  }
}

/** Bytes an event is charged for (its params are shared between sessions, so this over-counts safely). */
export function eventCost(params: string): number {
  return params.length + 96;
}

/** What a run of kept events holds of the budget together. */
export function eventsCost(events: Iterable<{ readonly params: string }>): number {
  let bytes = 0;
  for (const e of events) bytes += eventCost(e.params);
  return bytes;
}
