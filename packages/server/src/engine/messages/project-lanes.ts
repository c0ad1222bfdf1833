/**
 * A queue served round-robin by project: one lane per project, FIFO within it. `take(n)` gives each
 * project with items an equal share of `n` (the rest of the share of those that had fewer goes to
 * the others), and the projects it served move to the back, so the next take starts with those it
 * left waiting. What the dispatcher's adopted messages wait in, so a project writing faster than its
 * carrier sends cannot fill every batch while another project's message waits behind it.
 */
export class ProjectLanes<T> {
  /** Lanes in service order; a lane's items before `head` are taken. */
  private readonly lanes = new Map<string, { items: T[]; head: number }>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(projectId: string, item: T): void {
    const lane = this.lanes.get(projectId);
    if (lane) lane.items.push(item);
    else this.lanes.set(projectId, { items: [item], head: 0 });
    this.count++;
  }

  /** Up to `n` items, an equal share per project, each project's oldest first. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.count > 0) {
      const share = Math.max(1, Math.floor((n - out.length) / this.lanes.size));
      for (const [projectId, lane] of [...this.lanes]) {
        const k = Math.min(share, lane.items.length - lane.head, n - out.length);
        for (let i = 0; i < k; i++) out.push(lane.items[lane.head + i]!);
        lane.head += k;
        this.count -= k;
        this.lanes.delete(projectId);
        // Served: to the back (dropped once empty).
        if (lane.head < lane.items.length) this.lanes.set(projectId, lane.head > 1024 ? { items: lane.items.slice(lane.head), head: 0 } : lane);
        if (out.length >= n) break;
      }
    }
    return out;
  }
}
