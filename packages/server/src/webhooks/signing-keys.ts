/** Projects' signing keys, cached briefly; dropped at once when credentials change. */
import type { Clock } from '../domain/clock.js';
import type { Bus } from '../domain/ports/bus.js';
import type { ProjectRepository } from '../domain/ports/store.js';
import { GuardedCache } from '../util/guarded-cache.js';
import { dropOnChange } from '../domain/bus-freshness.js';

export class SigningKeys {
  /** A read that began before a key was replaced does not cache the old key. */
  private readonly cache: GuardedCache<string | null>;

  constructor(projects: ProjectRepository, clock: Clock, bus: Bus, ttlMs = 30_000) {
    this.cache = new GuardedCache({ load: async (projectId) => (await projects.get(projectId))?.signingKey ?? null, now: () => clock.now(), ttlMs, maxEntries: 10_000 });
    dropOnChange(bus, 'credentials.changed', ({ projectId }) => this.cache.invalidate(projectId), () => this.cache.invalidateAll());
  }

  get(projectId: string): Promise<string | null> {
    return this.cache.get(projectId);
  }
}
