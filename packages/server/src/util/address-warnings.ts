import type { Logger } from '../domain/ports/logger.js';

/**
 * Warnings about one client address (a connection cap reached, pipelining past the limit, answers
 * not read), each kind logged at most once per `intervalMs` for an address, so a client that keeps
 * at it fills no log. Bounded: entries are forgotten once an interval old.
 */
export class AddressWarnings {
  private readonly loggedAt = new Map<string, number>();

  /** Addresses and kinds remembered now (for tests). */
  get remembered(): number {
    return this.loggedAt.size;
  }

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(kind: string, address: string, fields: Record<string, unknown>, message: string): void {
    const key = `${kind} ${address}`;
    const now = this.now();
    const logged = this.loggedAt.get(key);
    if (logged !== undefined && now - logged < this.intervalMs) return;
    // Entries are in the order they were logged (a stale key is deleted before it is set again), so
    // forgetting stops at the first fresh one: a flood of new addresses costs no walk of the map.
    for (const [k, at] of this.loggedAt) {
      if (now - at < this.intervalMs) break;
      this.loggedAt.delete(k);
    }
    this.loggedAt.delete(key);
    this.loggedAt.set(key, now);
    this.logger.warn({ address, ...fields }, message);
  }
}
