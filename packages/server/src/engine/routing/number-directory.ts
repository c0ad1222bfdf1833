/**
 * Cached number lookups for the hot path (every send checks its sender, every simulated delivery
 * asks whether the destination is one of ours). Entries live a few seconds and are dropped at once
 * when numbers change (bus `numbers.changed`, which NATS carries between nodes in scale-out mode).
 */
import type { Bus } from '../../domain/ports/bus.js';
import type { PhoneNumberRepository } from '../../domain/ports/store.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import type { Clock } from '../../domain/clock.js';
import { GuardedCache } from '../../util/guarded-cache.js';
import { dropOnChange } from '../../domain/bus-freshness.js';

export class NumberDirectory {
  /**
   * Owners by number. A lookup that read the store before a change is not cached (a released
   * number would stay its old owner's for the whole TTL on this node: its inbound messages
   * delivered to the old owner, its new owner's sends refused).
   */
  private readonly byNumber: GuardedCache<PhoneNumberRecord | null>;
  /**
   * The operator project (the startup project), set at bootstrap: its numbers are the only ones
   * other projects' loopback traffic reaches.
   */
  operatorProjectId: string | null = null;

  constructor(numbers: PhoneNumberRepository, clock: Clock, bus: Bus, ttlMs = 10_000, maxEntries = 100_000) {
    this.byNumber = new GuardedCache({ load: async (number) => (await numbers.resolveOwner(number)) ?? null, now: () => clock.now(), ttlMs, maxEntries });
    dropOnChange(bus, 'numbers.changed', () => this.invalidate(), () => this.invalidate());
  }

  /** The registered number record, whichever project owns it, or null. */
  owner(number: string): Promise<PhoneNumberRecord | null> {
    return this.byNumber.get(number);
  }

  /** The number if the given project owns it, else null. */
  async ownedBy(projectId: string, number: string): Promise<PhoneNumberRecord | null> {
    const rec = await this.owner(number);
    return rec && rec.projectId === projectId ? rec : null;
  }

  /**
   * `ownedBy` for a sender, where a cached "not registered" is looked up again: the number may have
   * been added a moment ago by another process (`switchboard number add`), which no bus message
   * announces, and a refused send is rare enough to afford the query.
   */
  async senderOwnedBy(projectId: string, number: string): Promise<PhoneNumberRecord | null> {
    if (this.byNumber.last(number) === null) this.byNumber.invalidate(number);
    return this.ownedBy(projectId, number);
  }

  /**
   * Where a message `senderProjectId` sent to `number` loops back (the simulator): the sender's
   * own number, or the operator project's. Any project may register any free number, so a
   * number another tenant registered does not receive the sender's traffic — that would let a
   * tenant capture messages meant for a real handset by registering its number; the message
   * goes to the handset instead. See "Tenancy" in docs/architecture.md.
   */
  async loopbackOwner(number: string, senderProjectId: string): Promise<PhoneNumberRecord | null> {
    const rec = await this.owner(number);
    return rec && (rec.projectId === senderProjectId || rec.projectId === this.operatorProjectId) ? rec : null;
  }

  /** Forget everything (after a local change; remote nodes hear it on the bus). */
  invalidate(): void {
    this.byNumber.invalidateAll();
  }
}
