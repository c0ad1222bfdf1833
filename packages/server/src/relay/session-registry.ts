/**
 * The live sessions of this node, by protocol and by (project, context), so an event finds its
 * subscribers without scanning every session.
 */
import type { RelaySession } from './session.js';

export class SessionRegistry {
  private readonly byProtocol = new Map<string, RelaySession>();
  private readonly byContext = new Map<string, Map<string, Set<RelaySession>>>();
  private readonly perProject = new Map<string, number>();

  get size(): number {
    return this.byProtocol.size;
  }

  get(protocol: string): RelaySession | undefined {
    return this.byProtocol.get(protocol);
  }

  /** Live sessions of a project. */
  countFor(projectId: string): number {
    return this.perProject.get(projectId) ?? 0;
  }

  all(): IterableIterator<RelaySession> {
    return this.byProtocol.values();
  }

  add(session: RelaySession): void {
    this.byProtocol.set(session.protocol, session);
    this.perProject.set(session.projectId, this.countFor(session.projectId) + 1);
    this.index(session, session.contexts);
  }

  remove(session: RelaySession): void {
    if (this.byProtocol.get(session.protocol) !== session) return;
    this.byProtocol.delete(session.protocol);
    const left = this.countFor(session.projectId) - 1;
    if (left > 0) this.perProject.set(session.projectId, left);
    else this.perProject.delete(session.projectId);
    this.unindex(session, session.contexts);
  }

  subscribe(session: RelaySession, contexts: Iterable<string>): void {
    const added: string[] = [];
    for (const c of contexts) {
      if (!session.contexts.has(c)) {
        session.contexts.add(c);
        added.push(c);
      }
    }
    // Its checkpoint names its contexts (checkpoints.ts).
    if (added.length > 0) session.checkpointDirty = true;
    if (this.byProtocol.get(session.protocol) === session) this.index(session, added);
  }

  unsubscribe(session: RelaySession, contexts: Iterable<string>): void {
    const removed: string[] = [];
    for (const c of contexts) if (session.contexts.delete(c)) removed.push(c);
    if (removed.length > 0) session.checkpointDirty = true;
    if (this.byProtocol.get(session.protocol) === session) this.unindex(session, removed);
  }

  /** Live sessions of the project subscribed to the context. */
  subscribers(projectId: string, context: string): ReadonlySet<RelaySession> | undefined {
    return this.byContext.get(projectId)?.get(context);
  }

  private index(session: RelaySession, contexts: Iterable<string>): void {
    let project = this.byContext.get(session.projectId);
    for (const c of contexts) {
      if (!project) this.byContext.set(session.projectId, (project = new Map()));
      let set = project.get(c);
      if (!set) project.set(c, (set = new Set()));
      set.add(session);
    }
  }

  private unindex(session: RelaySession, contexts: Iterable<string>): void {
    const project = this.byContext.get(session.projectId);
    if (!project) return;
    for (const c of contexts) {
      const set = project.get(c);
      if (!set) continue;
      set.delete(session);
      if (set.size === 0) project.delete(c);
    }
    if (project.size === 0) this.byContext.delete(session.projectId);
  }
}
