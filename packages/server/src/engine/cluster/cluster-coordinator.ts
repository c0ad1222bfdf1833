/**
 * What a node does to share one database with others (PostgreSQL mode), on one timer:
 * - heartbeat: its `cluster_nodes` row says it is alive;
 * - carrier leases: it takes or renews the lease of each single-owner carrier (SMPP connector),
 *   opening the connection when it wins one and closing it when it loses one. A lease it cannot
 *   renew in time (database unreachable, or silent: a round stuck on it) is given up before it
 *   expires, so two nodes never hold one connection at once (as long as the nodes' clocks agree
 *   to well within a heartbeat);
 * - adoption: instances silent for `nodeTimeoutMs` (and this node's own earlier instances, at once)
 *   are removed, each by exactly one surviving node, which takes over their unfinished work: it
 *   releases their job and webhook leases and re-arms their pending simulated receipts. A node
 *   judges others only once its own heartbeats have been written for `nodeTimeoutMs` in a row.
 */
import type { Clock } from '../../domain/clock.js';
import type { NodeRecord, NodeRole } from '../../domain/cluster.js';
import type { Store } from '../../domain/ports/store.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { CarrierAvailability } from '../../domain/ports/carrier-availability.js';
import type { LeasedCarrier } from './leased-carrier.js';
import { LogLimiter, OUTAGE_LOG_LIMITS, RepeatedFailure } from '../../util/log-limiter.js';

export interface ClusterOptions {
  readonly instanceId: string;
  readonly nodeId: string;
  readonly roles: readonly NodeRole[];
  readonly url: string | null;
  readonly heartbeatMs: number;
  readonly nodeTimeoutMs: number;
}

export class ClusterCoordinator implements CarrierAvailability {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly startedAt: number;
  /** Carrier id → when this node last renewed its lease (ms), for the ones it holds. */
  private readonly held = new Map<string, number>();
  /**
   * Since when this node's heartbeats have all been written (undefined: the last one failed). Another
   * node's silence says it is dead only over a span in which this node could write too: after the
   * database was unwritable for longer than the node timeout (an outage, a restart, a long lock on
   * `cluster_nodes`) every heartbeat is stale, and the first node back took the others, and itself,
   * for dead and released their job and callback leases while they were working on them.
   */
  private healthySince: number | undefined;
  /** Each round while storage is out: the first failure, one line a minute, and the end. */
  private readonly heartbeats: RepeatedFailure;
  private readonly deadNodeLooks: RepeatedFailure;
  private readonly leaseRenewals: LogLimiter;

  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly logger: Logger;
      /** Carriers only one node may connect at a time (empty unless this node dispatches). */
      readonly leased: readonly LeasedCarrier[];
      /** Told when this node took a carrier's connection (its dispatcher should look for that carrier's jobs). */
      readonly onCarrierAcquired: (carrierId: string) => void;
      /** Take over the unfinished work of dead instances (after their job and webhook leases are released). */
      readonly adopt: (dead: readonly NodeRecord[]) => Promise<void>;
    },
    private readonly opts: ClusterOptions,
  ) {
    this.startedAt = deps.clock.now();
    this.heartbeats = new RepeatedFailure(deps.logger, 'warn', 'cluster heartbeat failed', 'cluster heartbeat succeeds again');
    this.deadNodeLooks = new RepeatedFailure(deps.logger, 'warn', 'looking for dead nodes failed', 'looking for dead nodes succeeds again');
    this.leaseRenewals = new LogLimiter(deps.logger, OUTAGE_LOG_LIMITS);
  }

  private get self(): Omit<NodeRecord, 'heartbeatAt'> {
    return { instanceId: this.opts.instanceId, nodeId: this.opts.nodeId, roles: this.opts.roles, url: this.opts.url, startedAt: this.startedAt };
  }

  claimable(): readonly string[] {
    return this.deps.leased.filter((c) => c.active && this.held.has(c.descriptor.id)).map((c) => c.descriptor.id);
  }

  isLocal(carrierId: string): boolean {
    const leased = this.deps.leased.find((c) => c.descriptor.id === carrierId);
    return !leased || (this.held.has(carrierId) && leased.active);
  }

  /** Join: register, adopt this node's own earlier instances, take what leases are free, start the timer. */
  async start(): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.nodes.register(this.self, now);
    this.healthySince = now;
    await this.adoptDead(now, true);
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** One round (also run by tests to avoid waiting for the timer). */
  tick(): Promise<void> {
    // A round still waiting for the database (one that keeps the connection open and never answers)
    // cannot give up the leases it was to renew: do that here, on time, or another node takes the
    // lease when it expires while this one still holds the connection.
    if (this.ticking) void this.giveUpUnrenewed(this.deps.clock.now());
    return (this.ticking ??= this.round().finally(() => (this.ticking = undefined)));
  }

  /** Leave: close held connections, release their leases, and let others adopt what is left at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    for (const c of this.deps.leased) {
      if (!this.held.has(c.descriptor.id)) continue;
      await c.deactivate();
      this.held.delete(c.descriptor.id);
      await this.deps.store.leases.release(leaseName(c.descriptor.id), this.opts.instanceId).catch((err: unknown) => this.deps.logger.warn({ err }, 'releasing a carrier lease failed; it expires by itself'));
    }
    await this.deps.store.nodes.markStopped(this.opts.instanceId).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not mark this node stopped; others adopt its work after the node timeout'));
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    try {
      if (!(await this.deps.store.nodes.heartbeat(this.self, now))) {
        // Another node took this one for dead (a pause longer than the node timeout) and adopted its work.
        this.deps.logger.warn({ instance: this.opts.instanceId }, 'this node was taken for dead by the cluster; registering again');
        await this.deps.store.nodes.register(this.self, now);
        this.healthySince = now;
      }
      this.healthySince ??= now;
      this.heartbeats.succeeded();
    } catch (err) {
      this.healthySince = undefined;
      this.heartbeats.failed(err);
    }
    await this.renewLeases(now);
    try {
      if (this.healthySince !== undefined && now - this.healthySince >= this.opts.nodeTimeoutMs) await this.adoptDead(now, false);
      this.deadNodeLooks.succeeded();
    } catch (err) {
      this.deadNodeLooks.failed(err);
    }
  }

  private async renewLeases(now: number): Promise<void> {
    const ttl = this.opts.nodeTimeoutMs;
    for (const c of this.deps.leased) {
      const id = c.descriptor.id;
      let mine: boolean | undefined;
      try {
        mine = await this.deps.store.leases.acquire(leaseName(id), this.opts.instanceId, now, ttl);
        this.leaseRenewals.recovered(id, { carrier: id }, 'renewing a carrier lease succeeds again');
      } catch (err) {
        this.leaseRenewals.warn(id, { err, carrier: id }, 'renewing a carrier lease failed');
      }
      const renewedAt = this.held.get(id);
      if (mine === true) {
        this.held.set(id, now);
        if (!c.active) {
          try {
            await c.activate();
            this.deps.logger.info({ carrier: id }, 'this node now holds the carrier connection');
            this.deps.onCarrierAcquired(id);
          } catch (err) {
            this.deps.logger.error({ err, carrier: id }, 'opening the carrier connection failed; giving the lease back');
            this.held.delete(id);
            await this.deps.store.leases.release(leaseName(id), this.opts.instanceId).catch(() => undefined);
          }
        }
      } else if (renewedAt !== undefined && (mine === false || this.expiring(renewedAt, now))) {
        // Lost it, or could not renew and it is about to expire: stop before another node may start.
        await this.giveUp(c, mine === false);
      }
    }
  }

  /** A lease renewed at `renewedAt` expires within a heartbeat of `now`. */
  private expiring(renewedAt: number, now: number): boolean {
    return now - renewedAt >= this.opts.nodeTimeoutMs - this.opts.heartbeatMs;
  }

  private async giveUpUnrenewed(now: number): Promise<void> {
    for (const c of this.deps.leased) {
      const renewedAt = this.held.get(c.descriptor.id);
      if (renewedAt !== undefined && this.expiring(renewedAt, now)) await this.giveUp(c, false);
    }
  }

  private async giveUp(c: LeasedCarrier, lost: boolean): Promise<void> {
    const id = c.descriptor.id;
    if (!this.held.delete(id)) return;
    this.deps.logger.warn({ carrier: id, lost }, 'giving up the carrier connection');
    await c.deactivate();
  }

  private async adoptDead(now: number, ownPredecessors: boolean): Promise<void> {
    const dead = await this.deps.store.nodes.takeDead(now - this.opts.nodeTimeoutMs, ownPredecessors ? { nodeId: this.opts.nodeId, instanceId: this.opts.instanceId } : undefined);
    if (dead.length === 0) return;
    for (const d of dead) {
      const jobs = await this.deps.store.jobs.releaseLeases(d.nodeId, now);
      const webhooks = await this.deps.store.webhooks.releaseLeases(d.nodeId, now);
      this.deps.logger.warn({ instance: d.instanceId, node: d.nodeId, jobs, webhooks }, 'adopting the work of a node that stopped or died');
    }
    await this.deps.adopt(dead);
  }
}

function leaseName(carrierId: string): string {
  return `carrier:${carrierId}`;
}
