/**
 * The manual simulator clock (`simulator.clock: "manual"`) kept in the database, so it is one clock
 * for every node sharing the database and for every run of the server:
 *
 * - At start, before anything is armed on it, the clock is set to the stored position (the first
 *   start stores its own time): a restart resumes where the clock was moved to, so work written
 *   in the moved time (scheduled sends, validity periods, retry windows, idempotency keys, sender
 *   rate slots) keeps its place relative to the clock instead of waiting for it to catch up.
 * - An advance adds to the stored position in one statement (advances made at once, on any nodes,
 *   add up), publishes `clock.changed`, and moves this node's clock in steps to the new position.
 * - Every node follows: on `clock.changed`, and by reading the stored position again on a bus
 *   reconnect (`Engine.wake`), every `refreshMs` of wall-clock time and when the clock is read
 *   through the API, so a node that missed the event converges. Following moves the node's clock in
 *   steps too (its own timers fire at their own times), then wakes its work loops, which look for
 *   work other nodes wrote that came due. The clock never moves backward.
 */
import { systemClock, type ManualClock } from '../../domain/clock.js';
import type { Bus, Unsubscribe } from '../../domain/ports/bus.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { SimulatorClockRepository } from '../../domain/ports/store.js';
import { RepeatedFailure } from '../../util/log-limiter.js';

declare module '../../domain/ports/bus.js' {
  interface BusTopics {
    /** The manual simulator clock was moved to `at` (the stored position): every node follows. */
    'clock.changed': { readonly at: number };
  }
}

/** How often a node reads the stored position again (wall-clock ms), for events it missed. */
export const DEFAULT_CLOCK_REFRESH_MS = 5_000;

export interface SharedClockDeps {
  readonly clock: ManualClock;
  readonly repository: SimulatorClockRepository;
  readonly bus: Bus;
  readonly logger: Logger;
  /** Told after this node's clock was moved: wake the work loops. */
  readonly onMoved: () => void;
}

export class SharedClock {
  private unsubscribe: Unsubscribe | undefined;
  private cancelRefresh: (() => void) | undefined;
  private running = false;
  private refreshing: Promise<void> = Promise.resolve();
  /** Every 5 s while storage is out: the first failure, one line a minute, and the end. */
  private readonly refreshFailures: RepeatedFailure;

  constructor(
    private readonly deps: SharedClockDeps,
    private readonly refreshMs = DEFAULT_CLOCK_REFRESH_MS,
  ) {
    this.refreshFailures = new RepeatedFailure(deps.logger, 'warn', 'reading the simulator clock failed; retrying', 'reading the simulator clock succeeds again');
  }

  /** This node's time. */
  now(): number {
    return this.deps.clock.now();
  }

  /** Set the clock to the stored position (storing this clock's time when none is), then follow the others. */
  async start(): Promise<void> {
    const { clock, repository, bus } = this.deps;
    const at = await repository.getOrStart(clock.now(), systemClock.now());
    // Before any timer is armed on it: the one time the clock is set rather than moved forward
    // (a restart starts it at the wall clock's time, which is not the stored one).
    if (at !== clock.now()) clock.set(at);
    this.running = true;
    this.unsubscribe = bus.subscribe('clock.changed', (e) => void this.follow(e.at));
    this.armRefresh();
  }

  /** Stop following (after the look under way, so it reads no closed store). */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.cancelRefresh?.();
    await this.refreshing;
  }

  /**
   * Move the clock forward by `ms` on every node: the stored position first, then this node's clock
   * in steps. Resolves, with this node's time, once this node has run what came due.
   */
  async advance(ms: number): Promise<number> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a manual clock moves forward only (got ${ms} ms)`);
    const { clock, repository, bus } = this.deps;
    const at = await repository.advance(ms, clock.now(), systemClock.now());
    bus.publish('clock.changed', { at });
    // After the steps already under way (the event's own, delivered here at once), even when the
    // clock reads `at` already, so the answer comes once what came due has run.
    await clock.advanceToInSteps(at);
    this.deps.onMoved();
    return clock.now();
  }

  /** Read the stored position and follow it when this node is behind. */
  async refresh(): Promise<void> {
    const at = await this.deps.repository.get();
    if (at !== undefined) await this.follow(at);
  }

  /** `refresh` in the background (its timer, a wake-up): a run of failures logged once, a line a minute, and its end. */
  refreshLogged(): Promise<void> {
    return this.refresh().then(
      () => this.refreshFailures.succeeded(),
      (err: unknown) => this.refreshFailures.failed(err),
    );
  }

  private async follow(at: number): Promise<void> {
    const { clock, logger } = this.deps;
    if (at <= clock.now()) return;
    try {
      await clock.advanceToInSteps(at);
      this.deps.onMoved();
    } catch (err) {
      logger.error({ err, at }, 'following the simulator clock failed');
    }
  }

  private armRefresh(): void {
    this.cancelRefresh = systemClock.setTimer!(systemClock.now() + this.refreshMs, () => {
      if (!this.running) return;
      this.refreshing = this.refreshLogged().finally(() => {
          if (this.running) this.armRefresh();
        });
    });
  }
}
