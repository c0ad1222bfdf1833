/**
 * The job runner that hands queued messages to carriers. It takes jobs in batches — those this node just
 * wrote, handed over by the journal already leased to it (`adopt`), or due jobs it claims (a lease that
 * expires if this node dies) — prices them, submits them to their carrier outside any transaction, and
 * records the answers. A claimed message is moved `queued → initiated` in its claim's transaction; an
 * adopted one was written `initiated`. It runs when woken or at the next due time — never by polling.
 *
 * Senders with a rate (sender-queues.ts) are released at that rate: their claimed jobs take the sender's
 * next slots and wait for them. A carrier with a rate is handed what it sends within half a lease,
 * and its submissions hold no slot (carrier-pace.ts). A scheduled message's job comes due at its send time; its claim moves it `scheduled → queued`.
 *
 * Delivery to carriers is at-least-once: a crash between a carrier's acceptance and the record of `sent`
 * re-submits that message after restart. The window is one batch in flight per slot. Each carrier's
 * answers are recorded as they come; a batch holds its slot until every carrier in it has answered, so a
 * carrier must answer within a bounded time (an SMPP connector gives back what a stalled SMSC holds).
 * Answers asking for a retry are logged per carrier, not per message (`transient-answers.ts`).
 */
import { backoffDelay, type BackoffPolicy } from '@switchboard/protocol';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/ports/logger.js';
import type { JobRecord } from '../../domain/jobs.js';
import type { MessageRecord, NewMessage } from '../../domain/message.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { Carrier, StatusReport } from '../../domain/ports/carrier.js';
import type { EngineMetrics } from '../../domain/ports/metrics.js';
import type { Repositories, Store } from '../../domain/ports/store.js';
import type { CarrierRouter } from '../routing/carrier-router.js';
import { ALL_CARRIERS_LOCAL, type CarrierAvailability } from '../../domain/ports/carrier-availability.js';
import type { ChangeRequest, LocalDispatch, MessageJournal, TransactionWork } from './journal.js';
import type { Pricing } from '../../domain/pricing.js';
import type { RecentMessages } from './recent-messages.js';
import type { SubmissionsInFlight } from './submissions-in-flight.js';
import { WorkLoop } from '../../util/work-loop.js';
import { RepeatedFailure } from '../../util/log-limiter.js';
import { TransientAnswers, type TransientAnswer } from './transient-answers.js';
import { lateSenders, senderKey, type SenderQueues } from './sender-queues.js';
import { ProjectLanes } from './project-lanes.js';
import { lastServed } from '../../domain/claim-cursor.js';
import { initiated, sentIn, submission, submitOrAsk } from './carrier-submission.js';
import type { Adopted, Claimed, ClaimOutcome, Plan, Ready, Verdict } from './dispatch-records.js';
import { CarrierPace, declaredRate } from './carrier-pace.js';
import { mayBeHandedOver, recheckWaited, type SenderHolds } from './waited-checks.js';

/** How long stopping waits for batches in flight before the carriers are stopped under them (wall-clock ms). */
const STOP_GRACE_MS = 10_000;

export interface DispatcherOptions {
  /** Node identity recorded on leases. */
  readonly nodeId: string;
  /** Jobs claimed per batch. */
  readonly batchSize: number;
  /** Batches in flight at once. */
  readonly concurrency: number;
  /** How long a claim is held before another runner may take the job. */
  readonly leaseMs: number;
  /** Waits between retries of a transient carrier failure, by the job's attempt count. */
  readonly retry: BackoffPolicy;
  /** How long `stop` waits for batches in flight (default `STOP_GRACE_MS`; tests shorten it). */
  readonly stopGraceMs?: number;
}

export class Dispatcher implements LocalDispatch {
  private readonly loop: WorkLoop;
  private unsubscribe: (() => void) | undefined;
  /** Messages this node just wrote with their jobs leased to it (`adopt`), waiting for a free slot: served round-robin by project. */
  private readonly adopted = new ProjectLanes<Adopted>();
  /** Jobs may be due in the queue: the next pass claims (set by wake-ups, due times, full claims). */
  private queueMayHaveWork = true;
  /** The last batch came from the adopted messages: the queue's turn next, when it may have work. */
  private servedAdopted = false;
  /** The project the last claim served last (round-robin across claims: `JobClaimOptions.after`). */
  private claimCursor = '';
  /** Carriers that said they can send again: their handed-back retries come forward as they answer. */
  private readonly recovering = new Set<string>();
  private readonly transientAnswers: TransientAnswers;
  private readonly pace: CarrierPace;

  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly bus: Bus;
      readonly router: CarrierRouter;
      readonly journal: MessageJournal;
      readonly pricing: Pricing;
      readonly metrics: EngineMetrics;
      readonly logger: Logger;
      readonly inFlight: SubmissionsInFlight;
      /** Where receipts that overtook their submit answer go once it is recorded (the carrier sink). */
      readonly earlyReceipts: { record(reports: readonly StatusReport[]): void; changesFor(reports: readonly StatusReport[], sentWith?: ReadonlySet<string>): ChangeRequest[] };
      readonly recent: RecentMessages;
      /** Which carriers this node may send through (several nodes: single-owner connections); default all. */
      readonly availability?: CarrierAvailability;
      /** Per-sender rates; without them every sender is unlimited. */
      readonly senderQueues?: SenderQueues;
    },
    private readonly opts: DispatcherOptions,
  ) {
    this.transientAnswers = new TransientAnswers(deps.logger);
    this.pace = new CarrierPace(opts.leaseMs / 2);
    this.loop = new WorkLoop(
      () => this.pass(),
      deps.clock,
      // Once a second while storage is out: the first failure, one line a minute, and the end.
      new RepeatedFailure(deps.logger, 'error', 'claiming dispatch jobs failed; retrying shortly', 'claiming dispatch jobs succeeds again'),
      // A due time came (a retry, a rate slot, a scheduled send, a lease's end): look in the queue.
      () => (this.queueMayHaveWork = true),
    );
  }

  /** Begin dispatching; `releaseAllLeases` recovers jobs a previous run of a single-node server held. */
  async start(releaseAllLeases: boolean): Promise<void> {
    const { store, clock, bus } = this.deps;
    const released = await store.jobs.releaseLeases(releaseAllLeases ? null : this.opts.nodeId, clock.now());
    if (released) this.deps.logger.info({ released }, 'released dispatch leases held by a previous run');
    this.unsubscribe = bus.subscribe('work.available', (e) => {
      if (e.queue === 'dispatch') this.wake();
    });
    this.loop.start();
  }

  /**
   * Stop claiming, and wait for batches in flight to be recorded, for at most `STOP_GRACE_MS`: a
   * carrier that does not answer then is stopped by the engine, which ends its submissions and
   * calls this again to wait for those answers to be recorded (a message left `initiated` is sent
   * again at the next start).
   */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.stop(this.opts.stopGraceMs ?? STOP_GRACE_MS);
  }

  /**
   * A carrier can send again after handing messages back (an SMSC answering again): its retries
   * come forward, a batch at a time as it answers, rather than at their backoff times.
   */
  carrierAvailable(carrierId: string): void {
    this.recovering.add(carrierId);
    this.pullForward(carrierId);
  }

  /** Look for work soon. */
  wake(): void {
    this.queueMayHaveWork = true;
    this.loop.wake();
  }

  get owner(): string {
    return this.opts.nodeId;
  }

  get leaseMs(): number {
    return this.opts.leaseMs;
  }

  /**
   * New messages this node may take without a claim: what its free batch slots hold — and one batch
   * when every slot is busy — less what it was already handed. With no slot free, small batches in
   * flight (each submit answer written in its own) would otherwise send new messages the long way
   * through the queue while the next slot to free could take them together; only one batch, so a
   * carrier that holds every slot (a hanging connection) keeps no more than that leased here. None
   * while stopping (they wait in the queue for a claim, where their lease could not run out in memory).
   */
  room(): number {
    if (this.loop.stopped || !this.unsubscribe) return 0;
    return Math.max(0, Math.max(1, this.opts.concurrency - this.slotsBusy) * this.opts.batchSize - this.adopted.size);
  }

  /** Batches in flight holding a slot: those waiting for a carrier without a rate (see carrier-pace.ts). */
  private get slotsBusy(): number {
    return this.loop.active - this.pace.active;
  }

  /**
   * Whether a new message would go straight to its carrier here, so it may be written `initiated`
   * and taken without a claim: its carrier's connection is this node's, its price is within its
   * MaxPrice, and its sender has no rate (known from the sender cache; one not cached yet goes
   * through the claim, which loads it). Anything else keeps `queued` and its claim-time checks.
   */
  takes(m: NewMessage): boolean {
    const { senderQueues } = this.deps;
    return (!senderQueues || senderQueues.knows(m)) && this.verdict(m, this.deps.clock.now(), false).kind === 'ready';
  }

  /**
   * Where a message stands at dispatch, by the checks in their order: its carrier's connection is
   * another node's; its validity ran out; its price exceeds its MaxPrice; its sender has a rate (and
   * the job holds no slot yet); or it is ready for its carrier. The one rule for claims and adoptions.
   */
  private verdict(m: NewMessage, now: number, holdsSlot: boolean): Verdict {
    const { router, pricing, senderQueues } = this.deps;
    const carrier = router.route(m.to);
    if (!(this.deps.availability ?? ALL_CARRIERS_LOCAL).isLocal(carrier.descriptor.id)) return { kind: 'elsewhere', carrier };
    if (now >= m.expiresAt) return { kind: 'expired', carrier };
    const quote = pricing.quote(m);
    if (m.maxPrice !== null && quote.price !== null && quote.price > Number(m.maxPrice)) return { kind: 'overpriced', carrier, quote };
    const rate = !holdsSlot && senderQueues ? senderQueues.rateOf(m, carrier.descriptor.kind) : null;
    return rate !== null ? { kind: 'rated', carrier, price: quote.price, rate } : { kind: 'ready', carrier, price: quote.price };
  }

  /** Messages written with their jobs leased to this node: sent at the next pass, before any claim. */
  adopt(items: ReadonlyArray<{ readonly job: JobRecord; readonly message: MessageRecord }>): void {
    const at = this.deps.clock.now();
    for (const i of items) this.adopted.push(i.message.projectId, { job: i.job, message: i.message, at });
    this.loop.wake();
  }

  /** Claim and start batches while there is room; then wait for the next due job or a wake-up. */
  private async pass(): Promise<void> {
    while (!this.loop.stopped && this.slotsBusy < this.opts.concurrency) {
      // Adopted messages, and the queue when something may be due there (a wake-up from the bus or
      // from outside, a due time reached, a full claim before), in turns: a project writing faster
      // than its carrier sends keeps adopted messages waiting, and the queue — where another
      // project's messages wait when no slot had room — must not wait for them to run out. A pass
      // woken by an adoption alone does not claim: that is the statement adoption saves.
      const fromQueue = this.adopted.size === 0 || (this.queueMayHaveWork && this.servedAdopted);
      if (fromQueue && !this.queueMayHaveWork) return;
      if (fromQueue) this.queueMayHaveWork = false;
      this.servedAdopted = !fromQueue;
      const batch = fromQueue ? await this.claim() : await this.takeAdopted();
      if (batch.claimed === 0) {
        if (!fromQueue) continue;
        // Only jobs this node may claim: one due for a carrier another node holds would arm a timer already due, again and again.
        const next = await this.deps.store.jobs.nextRunAt('dispatch', { carriers: this.claimableCarriers() });
        if (next !== undefined) this.loop.armAt(next);
        continue;
      }
      const launched = this.launch(batch.ready);
      if (batch.nextSlotAt !== undefined) this.loop.armAt(batch.nextSlotAt);
      // Every ready job waits for its rated carrier's room: no claim until then (armed by `launch`),
      // or the next claims would take the carrier's whole backlog only to put it back.
      if (fromQueue && launched === 0 && batch.ready.length > 0) continue;
      // After a claim that found work, look again: more may be due, and the claim that finds none
      // arms the timer for the next due time.
      if (fromQueue) this.queueMayHaveWork = true;
      if (fromQueue && batch.claimed < this.opts.batchSize && this.adopted.size === 0) return;
    }
  }

  /** In one transaction: lease due jobs, load their messages, decide what each needs (`plan`) and write it. */
  private async claim(): Promise<Claimed> {
    const carriers = this.claimableCarriers();
    const out = await this.deps.journal.withinTransaction(async (tx, now) => {
      const jobs = await tx.jobs.claim('dispatch', now, this.opts.batchSize, this.opts.leaseMs, this.opts.nodeId, carriers ? { carriers, after: this.claimCursor } : { after: this.claimCursor });
      this.claimCursor = lastServed(jobs, this.claimCursor);
      if (jobs.length === 0) return { value: { claimed: 0, ready: [], handedOff: 0 }, changes: [] };
      const plan = await this.plan(tx, jobs, await this.deps.recent.ofJobs(tx, jobs), now, true);
      return this.write(tx, plan, jobs.length, now);
    });
    return this.afterClaim(out);
  }

  /**
   * The next batch of adopted messages, planned as claimed ones are; written in a transaction only
   * when one needs a write before its submission (an expired or overpriced message, a rated sender,
   * a carrier held by another node): the usual batch goes to its carrier with no statement at all.
   * One that waited past half its lease is left to the claim that follows the lease's end, so two
   * nodes never send it at once: this node's timer wakes for that claim (nothing else may).
   */
  private async takeAdopted(): Promise<Claimed> {
    const batch = this.adopted.take(this.opts.batchSize);
    const now = this.deps.clock.now();
    const live = batch.filter((a) => a.at >= now - this.opts.leaseMs / 2);
    if (live.length < batch.length) this.loop.armAt(Math.min(...batch.filter((a) => !live.includes(a)).map((a) => a.job.runAt)));
    if (live.length === 0) return { claimed: 0, ready: [] };
    const jobs = live.map((a) => a.job);
    const plan = await this.plan(this.deps.store, jobs, new Map(live.map((a) => [a.message.id, a.message])), now);
    if (plan.changes.length === 0 && plan.rated.length === 0 && plan.finished.length === 0 && plan.handOff.length === 0) return { claimed: jobs.length, ready: plan.ready };
    return this.afterClaim(await this.deps.journal.withinTransaction(async (tx) => this.write(tx, plan, jobs.length, now)));
  }

  /**
   * What each taken job needs: fail the expired and the overpriced, hand a job whose carrier another
   * node holds to that node, find the rated senders' jobs (they wait for slots), and make the rest
   * ready. Reads only (`reads`: the transaction, or the store for adopted jobs).
   */
  private async plan(reads: Pick<Repositories, 'numbers' | 'optOuts'>, jobs: readonly JobRecord[], messages: ReadonlyMap<string, MessageRecord>, now: number, claimed = false): Promise<Plan> {
    const { senderQueues } = this.deps;
    if (senderQueues) await senderQueues.prime(reads.numbers, messages.values());
    // A sender whose held slots passed long ago is planned again: none of its jobs keeps its slot.
    const replan = senderQueues ? lateSenders(jobs, messages, now) : new Map<string, never>();
    const plan: Plan = { changes: [], ready: [], rated: [], finished: [], handOff: [], replan };
    const holds: SenderHolds = new Map();
    for (const job of jobs) {
      const m = messages.get(job.messageId);
      if (!m || (m.status !== 'queued' && m.status !== 'initiated' && m.status !== 'scheduled')) {
        // Gone, canceled, or handed over before a crash: nothing to send again.
        plan.finished.push(job.id);
        continue;
      }
      const v = this.verdict(m, now, job.slotAt != null && !replan.has(senderKey(m.projectId, m.from)));
      // Its send time came: from here on it is an ordinary queued message.
      if (m.status === 'scheduled' && v.kind !== 'elsewhere') plan.changes.push({ projectId: m.projectId, messageId: m.id, to: 'queued', detail: { scheduled: true } });
      // One that waited may have lost its number (to another project since) or its handset (STOP).
      const failure = v.kind === 'elsewhere' ? null : await recheckWaited(reads, m, job, holds, now, claimed);
      // Unless an earlier attempt may have handed it over (a node died before its answer): its carrier says.
      if (failure && mayBeHandedOver(m, job) && v.carrier.takenBefore) plan.ready.push({ job, message: m, carrier: v.carrier, price: this.deps.pricing.quote(m).price, heldBack: failure });
      else if (failure) plan.changes.push({ projectId: m.projectId, messageId: m.id, to: 'failed', error: failure, completesJob: job.id });
      if (failure) continue;
      switch (v.kind) {
        case 'elsewhere':
          // Another node holds this carrier's connection: pin the job to it and let that node send it.
          plan.handOff.push({ id: job.id, runAt: now, carrier: v.carrier.descriptor.id });
          break;
        case 'expired':
          plan.changes.push({ projectId: m.projectId, messageId: m.id, to: 'failed', error: 'VALIDITY_EXPIRED', detail: { validity_period: m.validityPeriod }, completesJob: job.id });
          break;
        case 'overpriced':
          plan.changes.push({ projectId: m.projectId, messageId: m.id, to: 'failed', error: 'MAX_PRICE_EXCEEDED', errorDetail: `price ${v.quote.price} ${v.quote.unit} > MaxPrice ${m.maxPrice}`, completesJob: job.id });
          break;
        case 'rated':
          // A job already holding its slot is `ready`; others of a rated sender take the next slots.
          plan.rated.push({ job, message: m, rate: v.rate, carrierKind: v.carrier.descriptor.kind, carrier: v.carrier, price: v.price });
          break;
        case 'ready':
          if (m.status !== 'initiated') plan.changes.push(initiated(m, job));
          plan.ready.push({ job, message: m, carrier: v.carrier, price: v.price });
      }
    }
    return plan;
  }

  /** Write a plan in `tx`: reserve the rated senders' slots, finish and hand off jobs; the state changes go with the transaction. */
  private async write(tx: Repositories, plan: Plan, claimed: number, now: number): Promise<TransactionWork<ClaimOutcome>> {
    const { senderQueues } = this.deps;
    const ready = [...plan.ready];
    const changes = [...plan.changes];
    let nextSlotAt: number | undefined;
    // Forget their next free times and release their other held jobs (not this claim's: leased).
    for (const [key, { projectId, sender }] of plan.replan) await tx.jobs.releaseSenderSlots(key, projectId, sender, now);
    if (plan.rated.length && senderQueues) {
      const slots = await senderQueues.reserve(tx, plan.rated, now);
      for (const r of slots.now as typeof plan.rated) {
        if (r.message.status !== 'initiated') changes.push(initiated(r.message, r.job));
        ready.push({ job: r.job, message: r.message, carrier: r.carrier, price: r.price });
      }
      for (const l of slots.later) nextSlotAt = Math.min(nextSlotAt ?? Infinity, l.slotAt);
    }
    if (plan.finished.length) await tx.jobs.deleteMany(plan.finished);
    if (plan.handOff.length) await tx.jobs.reschedule(plan.handOff);
    const value: ClaimOutcome = { claimed, ready, handedOff: plan.handOff.length, ...(nextSlotAt !== undefined ? { nextSlotAt } : {}) };
    // A message whose move to `initiated` the guard refused changed state since it was read (a
    // scheduled one canceled meanwhile, on a store whose transactions run side by side): not sent.
    // Its job stays leased; the claim after the lease finds the message's state and ends the job.
    const settle = (applied: readonly boolean[]): ClaimOutcome => {
      const refused = new Set(changes.filter((c, i) => c.to === 'initiated' && !applied[i]).map((c) => c.messageId));
      return refused.size ? { ...value, ready: ready.filter((r) => !refused.has(r.message.id)) } : value;
    };
    return { value, changes, settle };
  }

  /** After a claim's commit: wake the nodes jobs were handed to. */
  private afterClaim(out: ClaimOutcome): Claimed {
    if (out.handedOff) this.deps.bus.publish('work.available', { queue: 'dispatch' });
    return out.nextSlotAt === undefined ? { claimed: out.claimed, ready: out.ready } : { claimed: out.claimed, ready: out.ready, nextSlotAt: out.nextSlotAt };
  }

  /**
   * Start a batch: each carrier gets its messages at once, and the batch's slot frees when all
   * carriers without a rate have answered. A carrier with a rate takes what fits its window, the
   * rest going back to the queue for its room (carrier-pace.ts). Returns how many were handed over.
   */
  private launch(ready: Ready[]): number {
    const byCarrier = new Map<Carrier, Ready[]>();
    for (const r of ready) {
      const list = byCarrier.get(r.carrier);
      if (list) list.push(r);
      else byCarrier.set(r.carrier, [r]);
    }
    const work: Array<Promise<void>> = [];
    let handed = 0;
    for (const [carrier, items] of byCarrier) {
      const rate = declaredRate(carrier);
      // Held-back messages are only looked up at the carrier: no room of its rate taken.
      if (rate === null || items.every((r) => r.heldBack)) {
        handed += items.length;
        work.push(this.submit(carrier, items));
        continue;
      }
      const { go, later, retryAt } = this.pace.admit(carrier, rate, items, this.deps.clock.now());
      handed += go.length;
      if (later.length) this.loop.armAt(Math.ceil(retryAt));
      // A lease ending while the carrier still holds its message: claimed again then, joining it.
      if (go.length) this.loop.armAt(Math.min(...go.map((r) => r.job.runAt)));
      this.pace.begin();
      const paced = Promise.all([go.length ? this.submit(carrier, go) : undefined, later.length ? this.putBack(carrier, later, Math.ceil(retryAt)) : undefined]).finally(() => this.pace.done(carrier, go));
      this.loop.track(paced, (err) => this.deps.logger.error({ err, carrier: carrier.descriptor.id, messages: items.length }, 'dispatch to a rated carrier failed; its jobs retry when their lease expires'));
    }
    // Tracked even empty, as always: its end wakes the loop for another look.
    if (work.length || byCarrier.size === 0) this.loop.track(Promise.all(work), (err) => this.deps.logger.error({ err, messages: ready.length }, 'dispatch batch failed; its jobs retry when their lease expires'));
    return handed;
  }

  /** Jobs a rated carrier has no room for: back to the queue, pinned to it, for when it will (at their expiry at the latest). */
  private async putBack(carrier: Carrier, items: readonly Ready[], at: number): Promise<void> {
    const pin = this.pin(carrier);
    await this.deps.store.jobs.reschedule(items.map((r) => ({ id: r.job.id, runAt: Math.min(at, r.message.expiresAt), carrier: pin })));
  }

  /** The carriers this node's claims filter by (undefined: every one; see `CarrierAvailability`). */
  private claimableCarriers(): readonly string[] | undefined {
    return (this.deps.availability ?? ALL_CARRIERS_LOCAL).claimable();
  }

  /**
   * The pin for a job given back by `carrier`: its id where claims filter by it (one node, or a
   * connection this node holds); none for a carrier every node sends through (claims never name it).
   */
  private pin(carrier: Carrier): string | undefined {
    const claimable = this.claimableCarriers();
    return claimable === undefined || claimable.includes(carrier.descriptor.id) ? carrier.descriptor.id : undefined;
  }

  /** Up to a batch of a carrier's pinned retries, due now. */
  private pullForward(carrierId: string): void {
    this.deps.store.jobs
      .pullForward('dispatch', carrierId, this.deps.clock.now(), this.opts.batchSize)
      .then((n) => {
        if (n === 0) this.recovering.delete(carrierId);
        else this.wake();
      })
      .catch((err: unknown) => this.deps.logger.error({ err, carrier: carrierId }, 'bringing a carrier\'s retries forward failed; they run at their backoff times'));
  }

  /**
   * Hand one carrier's ready messages to it, outside any transaction, and record its answers as
   * soon as they come (other carriers of the batch do not wait for them).
   */
  private async submit(carrier: Carrier, items: Ready[]): Promise<void> {
    const { store, clock, journal } = this.deps;
    const carrierId = carrier.descriptor.id;
    const outcomes: ChangeRequest[] = [];
    const retry: Array<{ id: number; runAt: number; carrier: string | undefined }> = [];
    const pin = this.pin(carrier);
    const submittedIds = items.map((r) => r.message.id);
    this.deps.inFlight.begin(submittedIds);
    let released = false;
    let answered = false;
    try {
      const results = await submitOrAsk(carrier, items.map((i) => submission(i.job, i.message)), items.map((i) => i.heldBack));
      answered = true;
      const counts = { accepted: 0, rejected: 0, throttled: 0, transient: 0 };
      const transient: TransientAnswer[] = [];
      const at = clock.now();
      results.forEach((res, idx) => {
        const { job, message, price, heldBack } = items[idx]!;
        // Held back and not taken before (or no longer worth asking about): it fails as the claim would have failed it.
        if (heldBack && res.outcome !== 'accepted' && (res.outcome === 'rejected' || at >= message.expiresAt)) {
          const partly = res.outcome === 'rejected' && res.detail ? { errorDetail: res.detail } : {};
          return void outcomes.push({ projectId: message.projectId, messageId: message.id, to: 'failed', error: heldBack, ...partly, completesJob: job.id });
        }
        counts[res.outcome]++;
        switch (res.outcome) {
          case 'accepted':
            outcomes.push({ projectId: message.projectId, messageId: message.id, to: 'sent', carrier: carrierId, carrierMessageId: res.carrierMessageId, price, detail: { parts: res.parts, attempt: job.attempts }, completesJob: job.id });
            this.deps.metrics.dispatchLatency((at - message.createdAt) / 1000);
            break;
          case 'rejected':
            outcomes.push({ projectId: message.projectId, messageId: message.id, to: 'failed', error: res.error, carrier: carrierId, ...(res.detail ? { errorDetail: res.detail } : {}), detail: { attempt: job.attempts }, completesJob: job.id });
            break;
          case 'throttled':
            retry.push({ id: job.id, runAt: Math.min(at + Math.max(1, res.retryAfterMs), message.expiresAt), carrier: pin });
            break;
          case 'transient': {
            // Pinned to the carrier: when it says it can send again, `carrierAvailable` brings it forward.
            const delay = backoffDelay(this.opts.retry, job.attempts - 1);
            retry.push({ id: job.id, runAt: Math.min(at + delay, message.expiresAt), carrier: pin });
            transient.push({ messageId: message.id, detail: res.detail, retryInMs: delay });
            break;
          }
        }
      });
      for (const [outcome, n] of Object.entries(counts)) if (n) this.deps.metrics.carrierSubmitted(carrierId, outcome as keyof typeof counts, n);
      this.transientAnswers.report(carrierId, counts.accepted, transient);
      // A recovering carrier that failed again stops pulling its retries forward.
      if (counts.transient || counts.throttled) this.recovering.delete(carrierId);
      // Outcomes and the end of their jobs are recorded together: a crash before this re-runs the
      // jobs, and they find their messages already handed over (at-least-once, one batch wide).
      // Receipts that overtook the answers go in the same write, after them (`sent` before `delivered`).
      const early = this.deps.inFlight.end(submittedIds);
      released = true;
      const changes = early.length ? [...outcomes, ...this.deps.earlyReceipts.changesFor(early, sentIn(outcomes))] : outcomes;
      if (changes.length) await journal.recordMany(changes);
    } finally {
      if (!released) {
        const early = this.deps.inFlight.end(submittedIds);
        if (early.length) this.deps.earlyReceipts.record(early);
      }
      // A recovering carrier answered: its next batch of given-back retries comes forward.
      if (answered && this.recovering.has(carrierId)) this.pullForward(carrierId);
    }
    if (retry.length) {
      await store.jobs.reschedule(retry);
      // Jobs went back to the queue: the next pass looks there (and arms the next due time).
      this.queueMayHaveWork = true;
      this.loop.armAt(Math.min(...retry.map((r) => r.runAt)));
    }
  }
}
