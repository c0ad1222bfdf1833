/**
 * How many of the dispatcher's batch slots delayed submissions hold on this node.
 * The simulator answers a batch after its delay, and the dispatcher's slot stays taken until then;
 * a project allowed every slot (a tenant with `delay_ms` 10000 sending a few batches) would make
 * every other project's messages wait for its delay. So delayed answers hold at most `limit` of
 * them (one fewer than the slots) — per project, and all projects together: two tenants each within
 * its own window filled every slot between them. A submission past either is answered `throttled`
 * until the first held answer that counts against it is given, as a carrier answers a client past
 * its window.
 */
export class ProjectWindows {
  /** Each project's held answers, by the time each is due. */
  private readonly held = new Map<string, number[]>();
  /** Every held answer (one per delayed batch, whichever projects it holds), by the time each is due. */
  private readonly all: number[] = [];

  constructor(
    /** Delayed answers one project may hold at once (Infinity: no limit). */
    private readonly limit: number,
  ) {}

  /** The limit for a dispatcher with `slots` batches in flight: one fewer, leaving a slot to the others (none with one slot). */
  static forSlots(slots: number | undefined): ProjectWindows {
    return new ProjectWindows(slots !== undefined && slots >= 2 ? slots - 1 : Infinity);
  }

  /** When `projectId`'s first held answer is due if it holds all it may, else the first of all if they hold all they may; undefined when it may submit now. */
  fullUntil(projectId: string): number | undefined {
    const held = this.held.get(projectId);
    if (held && held.length >= this.limit) return Math.min(...held);
    return this.all.length >= this.limit ? Math.min(...this.all) : undefined;
  }

  /** Each of `projects` holds an answer due at `at`. */
  hold(projects: readonly string[], at: number): void {
    if (projects.length > 0) this.all.push(at);
    for (const p of projects) {
      const held = this.held.get(p);
      if (held) held.push(at);
      else this.held.set(p, [at]);
    }
  }

  /** The answer due at `at` was given: `projects` hold it no more. */
  release(projects: readonly string[], at: number): void {
    const i = projects.length > 0 ? this.all.indexOf(at) : -1;
    if (i >= 0) this.all.splice(i, 1);
    for (const p of projects) {
      const held = this.held.get(p);
      if (!held) continue;
      const i = held.indexOf(at);
      if (i >= 0) held.splice(i, 1);
      if (held.length === 0) this.held.delete(p);
    }
  }
}
