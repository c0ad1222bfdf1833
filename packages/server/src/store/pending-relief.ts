/**
 * Budget relief for sessions parked in the database (relay-resume-store.ts): their missed events
 * hold the node's RELAY memory budget while they wait for the writer, and a project parking many
 * sessions (each event queued once per session) spent its share that way, so the sessions of the
 * project that read promptly were dropped (50 of 100 readers beside 100 parked sessions). The
 * parked session with the most appends waiting is dropped instead (relay/budget-relief.ts).
 */

/** An append waiting for the writer, its cost held in the budget. */
interface Row {
  readonly protocol: string;
  readonly projectId: string;
  readonly cost: number;
}

/**
 * Of `rows`, the session of `projectId` with the most, if more than `moreThan`: its rows leave
 * `rows` (in place) and give their budget back now. Returns that session, to be dropped.
 */
export function relievePending(rows: Row[], projectId: string, moreThan: number, budget: { give(projectId: string, bytes: number): void }): string | undefined {
  const counts = new Map<string, number>();
  let most: string | undefined;
  let mostCount = moreThan;
  for (const r of rows) {
    if (r.projectId !== projectId) continue;
    const n = (counts.get(r.protocol) ?? 0) + 1;
    counts.set(r.protocol, n);
    if (n > mostCount) [most, mostCount] = [r.protocol, n];
  }
  if (most === undefined) return undefined;
  let freed = 0;
  let kept = 0;
  for (const r of rows) {
    if (r.protocol === most) freed += r.cost;
    else rows[kept++] = r;
  }
  rows.length = kept;
  budget.give(projectId, freed);
  return most;
}
