/**
 * Each project's simulator behaviour: the server's defaults (config file) with the project's own
 * changes (`simulator_settings`, shared by every node), cached because every submission asks. A
 * change drops the cached copy on every node through the bus; entries also expire, so a lost bus
 * message costs at most `ttlMs` of staleness.
 */
import type { Bus } from '../../domain/ports/bus.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { SimulatorSettingsRepository } from '../../domain/ports/store.js';
import { effectiveTuning, type SimulatorOverridesPatch, type SimulatorTuning } from '../../domain/simulator/tuning.js';
import { GuardedCache } from '../../util/guarded-cache.js';
import { dropOnChange } from '../../domain/bus-freshness.js';

export class SimulatorProfiles {
  /** Each project's behaviour; a load that began before a change heard is not kept. */
  private readonly cache: GuardedCache<SimulatorTuning>;

  constructor(
    /** What a project that changed nothing gets. */
    readonly defaults: SimulatorTuning,
    private readonly deps: { readonly settings: SimulatorSettingsRepository; readonly bus: Bus; readonly logger: Logger; readonly now: () => number },
    ttlMs = 30_000,
    maxEntries = 10_000,
  ) {
    this.cache = new GuardedCache({ load: async (projectId) => effectiveTuning(defaults, await deps.settings.get(projectId)), now: deps.now, ttlMs, maxEntries });
    dropOnChange(deps.bus, 'simulator.settings.changed', ({ projectId }) => this.cache.invalidate(projectId), () => this.cache.invalidateAll());
  }

  /** The behaviour `projectId`'s messages get. */
  of(projectId: string): Promise<SimulatorTuning> {
    return this.cache.get(projectId);
  }

  /** The behaviour of several projects at once. */
  async ofEach(projectIds: Iterable<string>): Promise<Map<string, SimulatorTuning>> {
    const ids = [...new Set(projectIds)];
    const tunings = await Promise.all(ids.map((id) => this.of(id)));
    return new Map(ids.map((id, i) => [id, tunings[i]!]));
  }

  /**
   * The last known behaviour of `projectId` without waiting (the defaults until it was first
   * read), for callers that cannot wait (the SMSC answering a PDU); refreshed in the background.
   */
  peek(projectId: string): SimulatorTuning {
    const hit = this.cache.peek(projectId);
    if (hit) return hit;
    this.cache.get(projectId).catch((err: unknown) => this.deps.logger.warn({ err, projectId }, 'reading simulator settings failed'));
    return this.cache.last(projectId) ?? this.defaults;
  }

  /** Change a project's own behaviour; every node forgets its copy. */
  async update(projectId: string, patch: SimulatorOverridesPatch): Promise<SimulatorTuning> {
    const own = await this.deps.settings.update(projectId, patch, this.deps.now());
    // Local subscribers hear this at once (and drop the entry). What is cached is the row read
    // after it, not what this write returned: two changes at once may return in the other order
    // than they were written, and the older row (without the other's field) would stay cached for
    // ttlMs. A change heard during the read leaves the entry to the read after that one.
    this.deps.bus.publish('simulator.settings.changed', { projectId });
    await this.cache.get(projectId);
    return effectiveTuning(this.defaults, own);
  }
}
