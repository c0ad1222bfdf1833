/**
 * Per-sender throughput: every sender number sends at most its rate in message segments per
 * second. The queue of each sender is its dispatch jobs; this module decides, inside the
 * dispatcher's claim transaction, when each claimed job of a rated sender may go: the first free
 * slot of the sender (`sender_slots.next_at`, locked by the claim on PostgreSQL so two nodes never
 * hand out the same slot), then one slot per `segments / rate` seconds after it. A job whose slot
 * is later is released to run at that slot and marked as holding it, so it is claimed again
 * exactly once, when it may go, and is not charged again; the backlog of one sender is therefore
 * spread into the future in a few claims and never stands in front of another sender's messages.
 *
 * Senders with no rate (0 configured, or going to the simulator without a rate of their own) cost
 * two map lookups per message and no statement.
 */
import type { Clock } from '../../domain/clock.js';
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord } from '../../domain/message.js';
import { classifyNumber } from '../../domain/phone-numbers.js';
import { MAX_SENDER_RATE, MIN_SENDER_RATE, type SenderRateDefaults } from '../../domain/sender-rates.js';
import { MAX_VALIDITY_PERIOD } from '../../domain/message.js';
import { MAX_BODY_LENGTH } from '@switchboard/protocol';
import type { Bus } from '../../domain/ports/bus.js';
import type { JobRepository, PhoneNumberRepository } from '../../domain/ports/store.js';
import { AppError } from '../../domain/app-error.js';
import { isKeywordReply } from './opt-outs.js';
import { dropOnChange } from '../../domain/bus-freshness.js';

export { DEFAULT_SENDER_RATES } from '../../domain/sender-rates.js';

/**
 * How long a sender's queue may be, in seconds of sending at its rate: the default validity period
 * (a message further back would expire before its slot). Twilio's limit is its default validity too.
 */
export const DEFAULT_QUEUE_LIMIT_SECONDS = 14_400;

export interface SenderQueueOptions {
  readonly defaults: SenderRateDefaults;
  /** New messages are refused (`QUEUE_OVERFLOW`) while the sender's next free slot is further away than this. */
  readonly queueLimitSeconds: number;
}

/** One claimed job that may be sent once its sender's rate allows. */
export interface RatedJob {
  readonly job: JobRecord;
  readonly message: MessageRecord;
  /** Segments per second of its sender. */
  readonly rate: number;
  /** The kind of carrier it goes through (a sender without a rate of its own is not limited through the simulator). */
  readonly carrierKind: string;
}

/** What a claim does with its rated jobs: send these now, hold the others for their slots. */
export interface SlotPlan {
  readonly now: RatedJob[];
  readonly later: Array<{ id: number; slotAt: number }>;
  /** Senders' next free times to store. */
  readonly next: Map<string, number>;
}

/** The key of a sender's row in `sender_slots`. */
export function senderKey(projectId: string, sender: string): string {
  return `${projectId} ${sender}`;
}

/** The distinct senders of these messages, by project. */
function sendersByProject(messages: ReadonlyArray<Pick<MessageRecord, 'projectId' | 'from'>>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of messages) {
    const senders = out.get(m.projectId);
    if (senders) senders.add(m.from);
    else out.set(m.projectId, new Set([m.from]));
  }
  return out;
}

/**
 * The furthest a sender's next free time can be with today's rules: the longest validity period
 * (a job whose slot would come later takes none) plus the longest message (at most 25 segments of
 * MAX_BODY_LENGTH characters; 1 for MMS) at the lowest rate. A stored time beyond it — Infinity or
 * years away, left by a rate below MIN_SENDER_RATE before rates were bounded — would block its
 * sender for good (every message refused or expired), so it is taken as free now and overwritten.
 */
export const MAX_SLOT_AHEAD_MS = (MAX_VALIDITY_PERIOD + Math.ceil(MAX_BODY_LENGTH / 66) / MIN_SENDER_RATE) * 1000;

/**
 * Give each job the next slot of its sender, in job order; pure, so it is tested on its own.
 * A job whose slot would come after its message expires takes no slot: it is released to run at
 * its expiry, when the dispatcher fails it (validity expired), and leaves the slot to the next one.
 */
export function planSlots(jobs: readonly RatedJob[], free: ReadonlyMap<string, number>, now: number): SlotPlan {
  // Slots are reckoned exactly, as milliseconds after `now` (small numbers, so sums of fractions
  // do not drift), so a rate that does not divide a second (3/s) or sends several a millisecond
  // keeps its pace; what is stored is rounded up to whole milliseconds, the columns' unit
  // (PostgreSQL's bigint refuses a fraction), never earlier than the rate allows.
  const after = new Map<string, number>();
  const plan: SlotPlan = { now: [], later: [], next: new Map() };
  for (const j of jobs) {
    const key = senderKey(j.message.projectId, j.message.from);
    const stored = free.get(key) ?? now;
    const wait = Math.max(0, after.get(key) ?? (Number.isFinite(stored) && stored - now <= MAX_SLOT_AHEAD_MS ? stored - now : 0));
    if (now + wait >= j.message.expiresAt) {
      plan.later.push({ id: j.job.id, slotAt: j.message.expiresAt });
      if (!after.has(key)) after.set(key, wait);
      continue;
    }
    // MMS count as one segment, as carriers count them.
    const cost = j.message.kind === 'mms' ? 1 : Math.max(1, j.message.segments);
    after.set(key, wait + (cost * 1000) / j.rate);
    if (wait === 0) plan.now.push(j);
    else plan.later.push({ id: j.job.id, slotAt: now + wholeMs(wait) });
  }
  for (const [key, wait] of after) plan.next.set(key, now + wholeMs(wait));
  return plan;
}

/**
 * A held slot this far past (ms) when its job is claimed means nothing dispatched its sender for a
 * while (a restart, a stalled node or store). Sending every slot that passed at once would be a
 * burst at many times the rate, so the sender's queue is planned again from now, as a rate change
 * plans it (`JobRepository.releaseSenderSlots`): each message keeps its place and the rate holds.
 */
export const LATE_SLOT_MS = 5_000;

/**
 * The senders of the claimed jobs whose held slot passed more than `LATE_SLOT_MS` ago, by
 * `senderKey`. Only a message still `queued` counts: one `initiated` was taken at its slot already
 * and is back for a retry (a carrier that throttled it or had no room, a lease that ran out), which
 * its slot paid for.
 */
export function lateSenders(jobs: readonly JobRecord[], messages: ReadonlyMap<string, Pick<MessageRecord, 'projectId' | 'from' | 'status'>>, now: number): Map<string, { projectId: string; sender: string }> {
  const late = new Map<string, { projectId: string; sender: string }>();
  for (const job of jobs) {
    const m = messages.get(job.messageId);
    if (m?.status === 'queued' && job.slotAt != null && now - job.slotAt > LATE_SLOT_MS) late.set(senderKey(m.projectId, m.from), { projectId: m.projectId, sender: m.from });
  }
  return late;
}

/** Round up to a whole millisecond, forgiving the float error of summing fractions (1/3 + 1/3 + 1/3). */
function wholeMs(ms: number): number {
  return Math.ceil(ms - 1e-6);
}

interface CachedRate {
  readonly rate: number | null;
  readonly at: number;
}

/** Rates of senders, cached for a few seconds and dropped when numbers change (any node: the bus). */
export class SenderQueues {
  /** Own rates by project, then sender (no key string built per message: this runs for every message claimed). */
  private readonly own = new Map<string, Map<string, CachedRate>>();
  private cached = 0;
  /**
   * Bumped by every `numbers.changed`: rates read before a change heard meanwhile serve the claim
   * that read them (its reservation reads them again) but are not fresh, so the next claim does too.
   */
  private generation = 0;
  /** Each rated sender's next free time as this node last reserved it. */
  private readonly reservedUntil = new Map<string, number>();

  constructor(
    private readonly deps: { readonly clock: Clock; readonly bus: Bus },
    private readonly opts: SenderQueueOptions,
    private readonly ttlMs = 10_000,
  ) {
    // A changed number may have a new rate: its queue is judged again once it is next reserved.
    const forget = () => {
      this.generation++;
      this.own.clear();
      this.cached = 0;
      this.reservedUntil.clear();
    };
    dropOnChange(deps.bus, 'numbers.changed', forget, forget);
  }

  /** Whether the sender's own rate is cached and fresh (`prime` loads it). */
  knows(m: Pick<MessageRecord, 'projectId' | 'from'>): boolean {
    const hit = this.own.get(m.projectId)?.get(m.from);
    return hit !== undefined && this.deps.clock.now() - hit.at < this.ttlMs;
  }

  /**
   * Load the own rates of these senders that are not cached (one statement per project with senders
   * not seen lately), through `numbers` (a claim's transaction, or the store for messages taken without one).
   */
  async prime(numbers: PhoneNumberRepository, messages: Iterable<MessageRecord>): Promise<void> {
    await this.load(numbers, sendersByProject([...messages].filter((m) => !this.knows(m))));
  }

  /** Read these senders' own rates into the cache. */
  private async load(numbers: PhoneNumberRepository, senders: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
    const now = this.deps.clock.now();
    for (const [projectId, numbersOfProject] of senders) {
      const generation = this.generation;
      const rates = await numbers.ratesOf(projectId, [...numbersOfProject]);
      const at = generation === this.generation ? now : -Infinity;
      if (this.cached >= 100_000) {
        this.own.clear();
        this.cached = 0;
      }
      let project = this.own.get(projectId);
      if (!project) this.own.set(projectId, (project = new Map()));
      for (const sender of numbersOfProject) {
        if (!project.has(sender)) this.cached++;
        project.set(sender, { rate: rates.get(sender) ?? null, at });
      }
    }
  }

  /**
   * Segments per second this message's sender may send through a carrier of `carrierKind`, or
   * null for no limit: the number's own rate (0: none), else its type's default — except through
   * the simulator, where a number without its own rate is not limited, and for the reply to a
   * STOP/START/HELP, which takes no slot (it would wait behind the backlog, perhaps until it expired).
   */
  rateOf(m: Pick<MessageRecord, 'projectId' | 'from' | 'origin' | 'tags'>, carrierKind: string): number | null {
    if (isKeywordReply(m)) return null;
    const own = this.own.get(m.projectId)?.get(m.from)?.rate;
    // A rate stored before rates were bounded (5e-324/s) counts as the nearest bound.
    if (own !== null && own !== undefined) return own > 0 ? Math.min(MAX_SENDER_RATE, Math.max(MIN_SENDER_RATE, own)) : null;
    if (carrierKind === 'simulator') return null;
    const type = classifyNumber(m.from)?.type;
    const rate = type ? this.opts.defaults[type] : 0;
    return rate > 0 ? rate : null;
  }

  /**
   * Reserve slots for the rated jobs of one claim, inside its transaction. Their rates are read
   * again here, not taken from the cache: jobs released by a rate change may be claimed (on any
   * node) before the news of the change has reached it, and must be planned at the new rate. A job
   * whose sender has no rate now goes at once.
   */
  async reserve(tx: { readonly jobs: JobRepository; readonly numbers: PhoneNumberRepository }, rated: readonly RatedJob[], now: number): Promise<SlotPlan> {
    const current = await this.refresh(tx.numbers, rated);
    const unlimited: RatedJob[] = [];
    const still: RatedJob[] = [];
    for (const r of current) (r.rate > 0 ? still : unlimited).push(r);
    const free = still.length ? await tx.jobs.takeSenderSlots(still.map((r) => senderKey(r.message.projectId, r.message.from)), now) : new Map<string, number>();
    const plan = planSlots(still, free, now);
    plan.now.unshift(...unlimited);
    await tx.jobs.putSenderSlots(plan.next);
    if (plan.later.length) await tx.jobs.holdSlots(plan.later);
    if (this.reservedUntil.size >= 100_000) this.reservedUntil.clear();
    for (const [key, at] of plan.next) this.reservedUntil.set(key, at);
    return plan;
  }

  /** The rated jobs with their senders' rates as stored now (0: none any more); the cache takes them too. */
  private async refresh(numbers: PhoneNumberRepository, rated: readonly RatedJob[]): Promise<RatedJob[]> {
    await this.load(numbers, sendersByProject(rated.map((r) => r.message)));
    return rated.map((r) => {
      const rate = this.rateOf(r.message, r.carrierKind) ?? 0;
      return rate === r.rate ? r : { ...r, rate };
    });
  }

  /**
   * Refuse a new message (`QUEUE_OVERFLOW`) when its sender's queue already reaches further than
   * the limit. Read from the slots this node reserved (no statement on the send path): in a
   * cluster a node that has not dispatched for a sender lately does not know its queue.
   */
  checkRoom(projectId: string, sender: string): void {
    // Nothing reserved (no sender has a rate): nothing to build or look up per send.
    if (this.reservedUntil.size === 0) return;
    const key = senderKey(projectId, sender);
    const next = this.reservedUntil.get(key);
    if (next === undefined) return;
    const now = this.deps.clock.now();
    if (next <= now) {
      this.reservedUntil.delete(key);
      return;
    }
    if (next - now > this.opts.queueLimitSeconds * 1000) {
      throw AppError.of('QUEUE_OVERFLOW', { message: `The queue of ${sender} holds more than ${this.opts.queueLimitSeconds} seconds of messages at its rate; try again later or send from another number.` });
    }
  }
}
