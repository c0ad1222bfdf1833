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
  /**
   * Bumped by every invalidation: a lookup that read the store before a change must not cache
   * what it read after the change cleared the map (a released number would stay its old owner's
   * for the whole TTL on this node: its inbound messages delivered to the old owner, its new
   * owner's sends refused).
   */
  private generation = 0;
  /**
   * The operator project (the startup project), set at bootstrap: its numbers are the only ones
   * other projects' loopback traffic reaches.
   */
  operatorProjectId: string | null = null;

  constructor(
    private readonly numbers: PhoneNumberRepository,
    private readonly clock: Clock,
    bus: Bus,
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 100_000,
  ) {
    bus.subscribe('numbers.changed', () => this.invalidate());
  }

  /** The registered number record, whichever project owns it, or null. */
  async owner(number: string): Promise<PhoneNumberRecord | null> {
    const now = this.clock.now();
    const hit = this.byNumber.get(number);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const generation = this.generation;
    const value = (await this.numbers.resolveOwner(number)) ?? null;
    if (generation !== this.generation) return value;
    if (this.byNumber.size >= this.maxEntries) this.byNumber.clear();
    this.byNumber.set(number, { value, at: now });
    return value;
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
    if (this.byNumber.get(number)?.value === null) this.byNumber.delete(number);
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
    this.generation++;
    this.byNumber.clear();
  }
}
