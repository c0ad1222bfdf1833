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

interface Entry {
  readonly tuning: SimulatorTuning;
  readonly at: number;
}

export class SimulatorProfiles {
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<SimulatorTuning>>();
  /** Bumped by every change heard: a load that began before one must not cache what it read. */
  private generation = 0;

  constructor(
    /** What a project that changed nothing gets. */
    readonly defaults: SimulatorTuning,
    private readonly deps: { readonly settings: SimulatorSettingsRepository; readonly bus: Bus; readonly logger: Logger; readonly now: () => number },
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {
    deps.bus.subscribe('simulator.settings.changed', ({ projectId }) => {
      this.generation++;
      this.cache.delete(projectId);
    });
  }

  /** The behaviour `projectId`'s messages get. */
  of(projectId: string): Promise<SimulatorTuning> {
    const hit = this.fresh(projectId);
    return hit ? Promise.resolve(hit) : this.load(projectId);
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
    const hit = this.fresh(projectId);
    if (hit) return hit;
    this.load(projectId).catch((err: unknown) => this.deps.logger.warn({ err, projectId }, 'reading simulator settings failed'));
    return this.cache.get(projectId)?.tuning ?? this.defaults;
  }

  /** Change a project's own behaviour; every node forgets its copy. */
  async update(projectId: string, patch: SimulatorOverridesPatch): Promise<SimulatorTuning> {
    const own = await this.deps.settings.update(projectId, patch, this.deps.now());
    const tuning = effectiveTuning(this.defaults, own);
    // Local subscribers hear this at once (and drop the entry), so the new value is stored after.
    this.deps.bus.publish('simulator.settings.changed', { projectId });
    this.remember(projectId, tuning);
    return tuning;
  }

  private fresh(projectId: string): SimulatorTuning | undefined {
    const hit = this.cache.get(projectId);
    return hit && this.deps.now() - hit.at < this.ttlMs ? hit.tuning : undefined;
  }

  private load(projectId: string): Promise<SimulatorTuning> {
    let pending = this.loading.get(projectId);
    if (pending) return pending;
    const generation = this.generation;
    pending = this.deps.settings
      .get(projectId)
      .then((own) => {
        const tuning = effectiveTuning(this.defaults, own);
        if (generation === this.generation) this.remember(projectId, tuning);
        return tuning;
      })
      .finally(() => this.loading.delete(projectId));
    this.loading.set(projectId, pending);
    return pending;
  }

  private remember(projectId: string, tuning: SimulatorTuning): void {
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(projectId, { tuning, at: this.deps.now() });
  }
}
