/**
 * The handset inbox's long polls (`GET /api/simulator/messages/wait`) open per project on this node.
 * Each holds a connection, a timer and a bus subscriber that every handset message of every project
 * is offered to, for up to 120 s: one project opening them by the thousand over many addresses held
 * the node's connections and made every project's handset messages walk its subscribers. A project
 * has at most `MAX_WAITS_PER_PROJECT` open at once (as the console allows a project 20 live feeds);
 * one more is refused 429 at once. A constant, not a setting (the settings file has no room): a test
 * suite waiting for one message per parallel test needs far fewer.
 */

/** Waits one project may keep open on one node. */
export const MAX_WAITS_PER_PROJECT = 64;

export class OpenWaits {
  private readonly open = new Map<string, number>();

  constructor(readonly perProject: number = MAX_WAITS_PER_PROJECT) {}

  /** Count one more wait of `projectId`; false (nothing counted) when it has `perProject` open. */
  take(projectId: string): boolean {
    const n = this.open.get(projectId) ?? 0;
    if (n >= this.perProject) return false;
    this.open.set(projectId, n + 1);
    return true;
  }

  release(projectId: string): void {
    const n = (this.open.get(projectId) ?? 1) - 1;
    if (n > 0) this.open.set(projectId, n);
    else this.open.delete(projectId);
  }
}
