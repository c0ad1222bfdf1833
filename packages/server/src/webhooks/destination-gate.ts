/**
 * Per-destination fairness of the webhook runner (per node): how many requests are in flight to
 * each destination (a project's `host:port`: `destinationOf`), capped so one slow receiver holds a
 * bounded share of the pool,
 * and a circuit breaker per destination. After `breakerFailures` consecutive attempts that got no
 * HTTP answer (refused, reset, timed out) the destination is closed for `breakerCooldownMs`: the
 * runner defers its deliveries (no attempt counted) and claims skip it; then one probe at a time
 * is let through, and the first answer closes the breaker again and makes the destination's waiting
 * deliveries due at once (the receiver is back: no need to wait out their backoff). An HTTP error
 * status is an answer: the receiver is up, and the delivery is retried on its own schedule.
 *
 * A destination that uses all of its slots and answers every request successfully within
 * `fastMs` gets one more slot per such answer, up to `maxPerDestination`: a fast receiver is not
 * held to the cap meant for slow ones. The first failed or slow answer takes it back to
 * `perDestination`. `hasRoom(…, true)` asks for the base share only, so a runner can give every
 * destination its share before raised ones take more.
 *
 * Destinations are a project's, so one project with many receivers that hang (one per port or host
 * name) could fill the whole pool and hold every other project's callbacks back by a request
 * timeout per wave for as long as it names new receivers (56 s for one callback behind 40 hanging
 * receivers). With `pool` set, `projectHasRoom` keeps a project below the pool less one
 * destination's share (or two destinations' shares, whichever is more) — and every project with
 * requests in flight together below the same, so the rest of the pool is left to projects with
 * none (two projects hanging, each within its own cap, filled the pool between them) — and, while
 * another project's deliveries wait (the runner reports them: `addWaiting`), below an equal share
 * of the pool. It is asked before every request a runner starts, so it reads counts kept per project as
 * requests begin and end and deliveries come to wait and leave, instead of walking what waits.
 */
import type { WebhookClaimLimits } from '../domain/ports/store.js';

export interface DestinationGateOptions {
  readonly perDestination: number;
  readonly breakerFailures: number;
  readonly breakerCooldownMs: number;
  /** In flight to one destination at most while it answers fast (default `perDestination`). */
  readonly maxPerDestination?: number;
  /** An answer within this many ms counts as fast (default 200). */
  readonly fastMs?: number;
  /** Requests in flight at most, all destinations together (the runner's concurrency): enables `projectHasRoom`. */
  readonly pool?: number;
}

/** The project a destination (`destinationOf`: project id, a space, host:port) belongs to. */
const projectOf = (destination: string): string => destination.slice(0, destination.indexOf(' '));

/** Add `by` to `key`'s count, dropping a key that reaches zero (a missing key counts as 0, or 1 when lowered). */
function count(counts: Map<string, number>, key: string, by: 1 | -1): void {
  const n = (counts.get(key) ?? (by < 0 ? 1 : 0)) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

/** A project's requests in flight and deliveries waiting to start (kept while either is above zero). */
interface ProjectLoad {
  inFlight: number;
  waiting: number;
}

interface Breaker {
  /** Consecutive attempts without an answer. */
  failures: number;
  /** Closed to new attempts until then; 0 when the breaker is closed. */
  openUntil: number;
}

/** What an attempt's end changed: the destination paused until a time, or resumed after a pause. */
export type GateChange = { readonly kind: 'paused'; readonly until: number } | { readonly kind: 'resumed' } | null;

/** Breakers of destinations that failed but never opened are forgotten past this many. */
const MAX_TRACKED = 10_000;

export class DestinationGate {
  private readonly inFlight = new Map<string, number>();
  /** Per project with requests in flight or deliveries waiting: `projectHasRoom`'s competitors. */
  private readonly projects = new Map<string, ProjectLoad>();
  /** How many of `projects` have deliveries waiting. */
  private projectsWaiting = 0;
  /** Requests in flight, all projects together. */
  private totalInFlight = 0;
  private readonly breakers = new Map<string, Breaker>();
  /** Destinations whose cap was raised above `perDestination`, and that cap. */
  private readonly raised = new Map<string, number>();
  private readonly maxPerDestination: number;
  private readonly fastMs: number;

  constructor(private readonly opts: DestinationGateOptions) {
    this.maxPerDestination = Math.max(opts.perDestination, opts.maxPerDestination ?? opts.perDestination);
    this.fastMs = opts.fastMs ?? 200;
  }

  /** How many requests `destination` may have in flight now (its breaker aside). */
  capOf(destination: string): number {
    return this.raised.get(destination) ?? this.opts.perDestination;
  }

  /** What a claim may take now: the room of every destination that has less than the default. */
  limits(now: number): WebhookClaimLimits {
    const room: Record<string, number> = {};
    for (const [d, cap] of this.raised) room[d] = cap;
    for (const [d, n] of this.inFlight) room[d] = this.capOf(d) - n;
    for (const [d, b] of this.breakers) {
      if (b.openUntil === 0) continue;
      // Open: nothing. Cooled down: one probe at a time.
      room[d] = now < b.openUntil ? 0 : 1 - (this.inFlight.get(d) ?? 0);
    }
    return { perDestination: this.opts.perDestination, room };
  }

  /** Whether `destination`'s breaker is open or letting probes through. */
  tripped(destination: string): boolean {
    return (this.breakers.get(destination)?.openUntil ?? 0) !== 0;
  }

  /** Whether an attempt to `destination` may start now (`baseShare`: within `perDestination`, whatever it was raised to). */
  hasRoom(destination: string, now: number, baseShare = false): boolean {
    const n = this.inFlight.get(destination) ?? 0;
    const b = this.breakers.get(destination);
    if (b && b.openUntil !== 0) return now >= b.openUntil && n === 0;
    return n < (baseShare ? this.opts.perDestination : this.capOf(destination));
  }

  /** The projects at their cap of the pool (`projectHasRoom`). */
  busyProjects(): string[] {
    const cap = this.projectCap();
    // At the cap all together, every project with a request in flight is at its own.
    const least = this.totalInFlight >= cap ? 1 : cap;
    const busy: string[] = [];
    for (const [p, load] of this.projects) if (load.inFlight >= least) busy.push(p);
    return busy;
  }

  private projectCap(): number {
    const { pool, perDestination } = this.opts;
    return pool === undefined ? Infinity : Math.max(2 * perDestination, pool - perDestination);
  }

  /**
   * Whether `destination`'s project may start one more request: below its cap of the pool (a
   * project with requests in flight: and all such projects together below it), and, while another
   * project has deliveries waiting (`addWaiting`), below an equal share of the pool among the
   * projects with requests in flight or deliveries waiting.
   */
  projectHasRoom(destination: string): boolean {
    const pool = this.opts.pool;
    if (pool === undefined) return true;
    const load = this.projects.get(projectOf(destination));
    const n = load?.inFlight ?? 0;
    const cap = this.projectCap();
    if (n >= cap || (n > 0 && this.totalInFlight >= cap)) return false;
    const othersWait = this.projectsWaiting > (load !== undefined && load.waiting > 0 ? 1 : 0);
    return !othersWait || n < Math.max(1, Math.floor(pool / this.projects.size));
  }

  /** `n` deliveries to `destination` came to wait for a slot (claimed, not started), or left (`n` below 0). */
  addWaiting(destination: string, n: number): void {
    if (n !== 0) this.addLoad(projectOf(destination), 'waiting', n);
  }

  /** Nothing waits any more (the runner dropped what it held). */
  clearWaiting(): void {
    for (const [p, load] of this.projects) {
      load.waiting = 0;
      if (load.inFlight === 0) this.projects.delete(p);
    }
    this.projectsWaiting = 0;
  }

  /** Add `by` to one of `project`'s counts (never below zero), keeping `projects` and `projectsWaiting` in step. */
  private addLoad(project: string, kind: keyof ProjectLoad, by: number): void {
    let load = this.projects.get(project);
    if (!load) {
      if (by <= 0) return;
      load = { inFlight: 0, waiting: 0 };
      this.projects.set(project, load);
    }
    const wasWaiting = load.waiting > 0;
    const before = load[kind];
    load[kind] = Math.max(0, before + by);
    if (kind === 'inFlight') this.totalInFlight += load.inFlight - before;
    this.projectsWaiting += Number(load.waiting > 0) - Number(wasWaiting);
    if (load.inFlight === 0 && load.waiting === 0) this.projects.delete(project);
  }

  /** Destinations a claim cannot take from now. */
  blocked(now: number): string[] {
    return Object.entries(this.limits(now).room)
      .filter(([, n]) => n <= 0)
      .map(([d]) => d);
  }

  /** When the earliest open breaker lets a probe through, if one is open. */
  nextReopenAt(now: number): number | undefined {
    let at: number | undefined;
    for (const b of this.breakers.values()) if (b.openUntil > now && (at === undefined || b.openUntil < at)) at = b.openUntil;
    return at;
  }

  /** Until when `destination` is closed, if it is. */
  closedUntil(destination: string, now: number): number | undefined {
    const at = this.breakers.get(destination)?.openUntil ?? 0;
    return at > now ? at : undefined;
  }

  /** An attempt to `destination` starts. */
  begin(destination: string): void {
    count(this.inFlight, destination, 1);
    this.addLoad(projectOf(destination), 'inFlight', 1);
  }

  /** An attempt to `destination` was not made after all. */
  release(destination: string): void {
    count(this.inFlight, destination, -1);
    this.addLoad(projectOf(destination), 'inFlight', -1);
  }

  /**
   * An attempt to `destination` ended, with an HTTP answer or without; `succeeded` within
   * `durationMs` when given (a 2xx the runner accepted). Says when this attempt opened (or
   * reopened) the destination's breaker, or closed one that had opened.
   */
  end(destination: string, answered: boolean, now: number, outcome?: { readonly succeeded: boolean; readonly durationMs: number }): GateChange {
    this.adjustCap(destination, answered && outcome !== undefined && outcome.succeeded && outcome.durationMs <= this.fastMs);
    this.release(destination);
    if (answered) {
      const wasOpen = (this.breakers.get(destination)?.openUntil ?? 0) !== 0;
      this.breakers.delete(destination);
      return wasOpen ? { kind: 'resumed' } : null;
    }
    let b = this.breakers.get(destination);
    if (!b) {
      if (this.breakers.size >= MAX_TRACKED) this.forgetClosed();
      b = { failures: 0, openUntil: 0 };
      this.breakers.set(destination, b);
    }
    b.failures++;
    const probeFailed = b.openUntil !== 0 && now >= b.openUntil;
    if (probeFailed || (b.openUntil === 0 && b.failures >= this.opts.breakerFailures)) {
      b.openUntil = now + this.opts.breakerCooldownMs;
      return { kind: 'paused', until: b.openUntil };
    }
    return null;
  }

  /** One more slot for a destination that used all of its own and answered fast; back to the base share otherwise. */
  private adjustCap(destination: string, fast: boolean): void {
    const cap = this.capOf(destination);
    if (!fast) {
      this.raised.delete(destination);
      return;
    }
    if (cap >= this.maxPerDestination || (this.inFlight.get(destination) ?? 0) < cap) return;
    if (!this.raised.has(destination) && this.raised.size >= MAX_TRACKED) return;
    this.raised.set(destination, cap + 1);
  }

  private forgetClosed(): void {
    for (const [d, b] of this.breakers) if (b.openUntil === 0) this.breakers.delete(d);
  }
}
