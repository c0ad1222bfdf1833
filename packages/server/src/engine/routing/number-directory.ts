/**
 * Cached number lookups for the hot path (every send checks its sender, every simulated delivery
 * asks whether the destination is one of ours). Entries live a few seconds and are dropped at once
 * when numbers change (bus `numbers.changed`, which NATS carries between nodes in scale-out mode).
 */
import type { Bus } from '../../domain/ports/bus.js';
import type { PhoneNumberRepository } from '../../domain/ports/store.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import type { Clock } from '../../domain/clock.js';

interface Entry {
  value: PhoneNumberRecord | null;
  at: number;
}

export class NumberDirectory {
  private readonly byNumber = new Map<string, Entry>();

  constructor(
    private readonly numbers: PhoneNumberRepository,
    private readonly clock: Clock,
    bus: Bus,
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 100_000,
  ) {
    bus.subscribe('numbers.changed', () => this.byNumber.clear());
  }

  /** The registered number record, whichever project owns it, or null. */
  async owner(number: string): Promise<PhoneNumberRecord | null> {
    const now = this.clock.now();
    const hit = this.byNumber.get(number);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = (await this.numbers.resolveOwner(number)) ?? null;
    if (this.byNumber.size >= this.maxEntries) this.byNumber.clear();
    this.byNumber.set(number, { value, at: now });
    return value;
  }

  /** The number if the given project owns it, else null. */
  async ownedBy(projectId: string, number: string): Promise<PhoneNumberRecord | null> {
    const rec = await this.owner(number);
    return rec && rec.projectId === projectId ? rec : null;
  }

  /** Forget everything (after a local change; remote nodes hear it on the bus). */
  invalidate(): void {
    this.byNumber.clear();
  }
}
