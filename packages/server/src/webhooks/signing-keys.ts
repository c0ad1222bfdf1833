/** Projects' signing keys, cached briefly; dropped at once when credentials change. */
import type { Clock } from '../domain/clock.js';
import type { Bus } from '../domain/ports/bus.js';
import type { ProjectRepository } from '../domain/ports/store.js';

export class SigningKeys {
  private readonly cache = new Map<string, { key: string | null; at: number }>();
  /** Bumped by every change heard: a read that began before a key was replaced does not cache the old key. */
  private generation = 0;

  constructor(
    private readonly projects: ProjectRepository,
    private readonly clock: Clock,
    bus: Bus,
    private readonly ttlMs = 30_000,
  ) {
    bus.subscribe('credentials.changed', ({ projectId }) => {
      this.generation++;
      this.cache.delete(projectId);
    });
  }

  async get(projectId: string): Promise<string | null> {
    const now = this.clock.now();
    const hit = this.cache.get(projectId);
    if (hit && now - hit.at < this.ttlMs) return hit.key;
    const generation = this.generation;
    const key = (await this.projects.get(projectId))?.signingKey ?? null;
    if (generation === this.generation) this.cache.set(projectId, { key, at: now });
    return key;
  }
}
