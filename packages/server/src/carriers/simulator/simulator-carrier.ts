/**
 * The built-in carrier: behaves like a network of phones and a carrier, deterministically.
 * Submissions are answered after the configured delay, receipts follow after another delay (or
 * the long one), handsets "receive" messages into the inbox the simulator API shows, and messages
 * to numbers this server owns loop back as inbound messages (within the tenancy rule: see
 * "Tenancy" in docs/architecture.md). Delays and outcome rules are per project (`profiles.ts`).
 * Everything runs on two timer heaps, never one timer per message.
 */
import type { Carrier, CarrierDescriptor, CarrierQuery, CarrierSink, CarrierSubmission, CarrierView, AwaitingReceipt, StatusReport, SubmitResult } from '../../domain/ports/carrier.js';
import type { Clock } from '../../domain/clock.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { HandsetInboxRepository, SimulatorSettingsRepository } from '../../domain/ports/store.js';
import type { Logger } from '../../domain/ports/logger.js';
import { TimerQueue } from '../../util/timer-queue.js';
import type { SimulatorControl } from '../../domain/ports/simulator.js';
import { decideOutcome, type SimulatedOutcome } from '../../domain/simulator/outcomes.js';
import { OPERATOR_MAX_DELAY_MS, receiptDelay, TENANT_MAX_DELAY_MS, type SimulatorOverridesPatch, type SimulatorTuning } from '../../domain/simulator/tuning.js';
import { SimulatorProfiles } from './profiles.js';
import { simulatedView } from './queries.js';
import { ProjectWindows } from './project-windows.js';
import { RepeatedFailure } from '../../util/log-limiter.js';

/** How the simulator behaves: every project's default tuning (the config file) plus what is fixed at start. */
export interface SimulatorSettings extends SimulatorTuning {
  /** Messages kept per project in the handset inbox. */
  readonly inboxLimit: number;
  /**
   * Start of every carrier message id this simulator gives (default `SIM`). Nodes sharing a database
   * use one per process, so the pending receipts of a node that died can be told apart and adopted.
   */
  readonly idPrefix?: string;
  /**
   * Answer a submission once its handsets have the message, with the receipts due at once in the
   * same turn (a carrier reports delivery after the handset has it). For a database a round trip
   * away: answering first let the engine write `sent` alone before the receipt came. With SQLite
   * (off) the answer goes first: the inbox write would wait for the one connection behind other
   * transactions, holding the dispatcher's batch slot meanwhile.
   */
  readonly answerAfterHandsets?: boolean;
  /**
   * The dispatcher's batches in flight at once on this node (`dispatcher.concurrency`): a project's
   * delayed batches hold at most one fewer, so another project's messages always find a slot
   * (`project-windows.ts`). Omitted: no limit.
   */
  readonly dispatchSlots?: number;
}

interface PendingSubmit {
  results: SubmitResult[];
  accepted: Array<{ s: CarrierSubmission | AwaitingReceipt; outcome: SimulatedOutcome; tuning: SimulatorTuning }>;
  resolve: (results: SubmitResult[]) => void;
  submittedAt: number;
  /** The projects whose window this answer holds until it is given (`ProjectWindows`), and when it is due. */
  holds?: { readonly projects: readonly string[]; readonly at: number };
}

interface PendingReceipt {
  readonly m: CarrierSubmission | AwaitingReceipt;
  readonly outcome: SimulatedOutcome;
  /** The sending project's choice, when it was submitted. */
  readonly mmsReceipts: boolean;
  /**
   * The handset may have received it before the server went down: re-armed by `recover`, or sent
   * again (a later attempt: the job of a node killed before the answer was written runs again).
   */
  readonly repeat?: boolean;
}

export const SIMULATOR_ID = 'simulator';

/** The built-in carrier; the simulator API steers it through `SimulatorControl`. */
export class SimulatorCarrier implements Carrier, SimulatorControl {
  readonly descriptor: CarrierDescriptor = {
    id: SIMULATOR_ID,
    kind: 'simulator',
    capabilities: { mms: true, deliveryReceipts: true, unicode: true, maxRate: null },
  };
  private sink: CarrierSink | undefined;
  private readonly settings: SimulatorSettings;
  private readonly profiles: SimulatorProfiles;
  /** The operator project: its behaviour is the SMSC's, and it may choose longer delays. */
  private operatorProjectId: string | null = null;
  private readonly submits: TimerQueue<PendingSubmit>;
  private readonly receipts: TimerQueue<PendingReceipt>;
  private readonly windows: ProjectWindows;
  private counter = 0;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Each batch of handsets while storage is out: the first failure, one line a minute, and the end. */
  private readonly handsetFailures: RepeatedFailure;

  constructor(
    settings: SimulatorSettings,
    /** `clock`, when given, times the delays and receipts (a manual clock moves them); else wall-clock timers measured by `now`. */
    private readonly deps: { readonly inbox: HandsetInboxRepository; readonly settings: SimulatorSettingsRepository; readonly bus: Bus; readonly logger: Logger; readonly now: () => number; readonly clock?: Clock },
  ) {
    this.settings = settings;
    this.handsetFailures = new RepeatedFailure(deps.logger, 'error', 'simulated handset delivery failed; receipts still follow', 'simulated handset delivery succeeds again');
    this.windows = ProjectWindows.forSlots(settings.dispatchSlots);
    this.profiles = new SimulatorProfiles(settings, { settings: deps.settings, bus: deps.bus, logger: deps.logger, now: deps.now });
    this.submits = new TimerQueue((due) => due.forEach((p) => this.answer(p)), deps.clock ?? deps.now);
    // A manual clock moved in steps waits for the handsets and receipts before its next stop.
    this.receipts = new TimerQueue((due) => {
      const delivering = this.deliver(due);
      deps.clock?.track?.(delivering);
    }, deps.clock ?? deps.now);
  }

  /** Name the operator project (the startup project, known once it is ensured). */
  useOperatorProject(projectId: string): void {
    this.operatorProjectId = projectId;
    this.profiles.peek(projectId);
  }

  /** The operator project's behaviour: the SMSC follows it, as it cannot tell projects apart. */
  getSettings(): SimulatorTuning {
    return this.operatorProjectId ? this.profiles.peek(this.operatorProjectId) : this.profiles.defaults;
  }

  settingsOf(projectId: string): Promise<SimulatorTuning> {
    return this.profiles.of(projectId);
  }

  updateSettings(projectId: string, patch: SimulatorOverridesPatch): Promise<SimulatorTuning> {
    return this.profiles.update(projectId, patch);
  }

  delayLimitMs(projectId: string): number {
    return projectId === this.operatorProjectId ? OPERATOR_MAX_DELAY_MS : TENANT_MAX_DELAY_MS;
  }

  async start(sink: CarrierSink): Promise<void> {
    this.sink = sink;
    this.pruneTimer = setInterval(() => {
      this.pruneInbox().catch((err) => this.deps.logger.warn({ err }, 'pruning the handset inbox failed'));
    }, 60_000);
    this.pruneTimer.unref();
  }

  /** Trim the inbox in short steps, yielding between them, so a large backlog never stalls other work. */
  private async pruneInbox(): Promise<void> {
    const step = 1000;
    while (!this.stopped && (await this.deps.inbox.prune(this.settings.inboxLimit, step)) === step) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Held submissions are only a simulated delay: they go back to the queue at once, not after the engine's grace. */
  engineStopping(): void {
    this.stopped = true;
    // Unanswered submissions go back to the queue (sent again at the next start).
    for (const p of this.submits.stop()) p.resolve(p.results.map(() => ({ outcome: 'transient', detail: 'simulator stopping' })));
  }

  async stop(): Promise<void> {
    this.engineStopping();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    // Pending receipts are rebuilt by `recover` at next start.
    this.receipts.stop();
  }

  health(): { ok: boolean; detail?: string } {
    return this.stopped ? { ok: false, detail: 'stopped' } : { ok: true };
  }

  async submit(batch: readonly CarrierSubmission[]): Promise<SubmitResult[]> {
    const tunings = this.stopped ? null : await this.profiles.ofEach(batch.map((s) => s.projectId));
    if (!tunings || this.stopped) return batch.map(() => ({ outcome: 'transient', detail: 'simulator stopped' }));
    const now = this.deps.now();
    // A project holding all the slots it may (`ProjectWindows`) is throttled until its first answer.
    const full = new Map<string, number>();
    for (const [projectId, tuning] of tunings) {
      const until = tuning.delayMs > 0 ? this.windows.fullUntil(projectId) : undefined;
      if (until !== undefined) full.set(projectId, until);
    }
    const results: SubmitResult[] = [];
    const accepted: PendingSubmit['accepted'] = [];
    for (const s of batch) {
      const tuning = tunings.get(s.projectId)!;
      const retryAfterMs = Math.max(50, tuning.delayMs);
      const fullUntil = full.get(s.projectId);
      if (fullUntil !== undefined) {
        results.push({ outcome: 'throttled', retryAfterMs: Math.max(1, fullUntil - now) });
        continue;
      }
      const outcome = decideOutcome(s.to, tuning.rules);
      if (outcome.kind === 'failed') {
        results.push({ outcome: 'rejected', error: outcome.error, detail: 'simulated carrier rejection' });
      } else if (outcome.kind === 'throttled' && s.attempt <= outcome.times) {
        results.push({ outcome: 'throttled', retryAfterMs });
      } else if (outcome.kind === 'transient' && s.attempt <= outcome.times) {
        results.push({ outcome: 'transient', detail: `simulated transient failure ${s.attempt} of ${outcome.times}` });
      } else {
        results.push({ outcome: 'accepted', carrierMessageId: `${this.settings.idPrefix ?? 'SIM'}${(++this.counter).toString(36).toUpperCase()}`, parts: s.segments });
        accepted.push({ s, outcome, tuning });
      }
    }
    // The batch has one answer: at the shortest delay among its projects, so no project's delay
    // holds another's messages. A longer delay still times its own receipts (see `answer`). The
    // throttled projects' messages wait for nothing: all of them throttled, the answer is at once.
    const holding = [...tunings.keys()].filter((p) => !full.has(p));
    const delayMs = holding.length ? Math.min(...holding.map((p) => tunings.get(p)!.delayMs)) : 0;
    return new Promise((resolve) => {
      const pending: PendingSubmit = { results, accepted, resolve, submittedAt: now };
      if (delayMs <= 0) return this.answer(pending);
      pending.holds = { projects: holding, at: now + delayMs };
      this.windows.hold(holding, pending.holds.at);
      this.submits.schedule(pending.holds.at, pending);
    });
  }

  /**
   * Retries not to be sent again (`Carrier.takenBefore`): accepted, with a new id and the receipt
   * its project's rules decide (the handset is not given it twice), when the handset has it;
   * otherwise null (what was pending for it died with the node that sent it). Nothing is sent.
   */
  async takenBefore(batch: readonly CarrierSubmission[]): Promise<Array<SubmitResult | null>> {
    const tunings = this.stopped ? null : await this.profiles.ofEach(batch.map((s) => s.projectId));
    if (!tunings || this.stopped) return batch.map(() => ({ outcome: 'transient', detail: 'simulator stopped' }));
    const received = await this.alreadyReceived(batch.map((m) => ({ m })));
    const now = this.deps.now();
    return batch.map((s): SubmitResult | null => {
      if (!received.has(s.messageId)) return null;
      const tuning = tunings.get(s.projectId)!;
      const outcome = decideOutcome(s.to, tuning.rules);
      this.receipts.schedule(now + receiptDelay(outcome, tuning), { m: s, outcome, mmsReceipts: tuning.mmsReceipts, repeat: true });
      return { outcome: 'accepted', carrierMessageId: `${this.settings.idPrefix ?? 'SIM'}${(++this.counter).toString(36).toUpperCase()}`, parts: s.segments };
    });
  }

  /** Receipt reconciliation: each message's fate by its project's outcome rules (`queries.ts`). */
  async query(messages: readonly CarrierQuery[]): Promise<CarrierView[]> {
    const tunings = await this.profiles.ofEach(messages.map((m) => m.projectId));
    return messages.map((m) => simulatedView(decideOutcome(m.to, tunings.get(m.projectId)!.rules)));
  }

  recover(awaiting: readonly AwaitingReceipt[]): void {
    this.profiles
      .ofEach(awaiting.map((m) => m.projectId))
      .catch((err: unknown) => {
        this.deps.logger.warn({ err }, 'reading simulator settings failed; recovered receipts follow the defaults');
        return new Map<string, SimulatorTuning>();
      })
      .then((tunings) => {
        const now = this.deps.now();
        for (const m of awaiting) {
          const tuning = tunings.get(m.projectId) ?? this.profiles.defaults;
          const outcome = decideOutcome(m.to, tuning.rules);
          this.receipts.schedule(now + receiptDelay(outcome, tuning), { m, outcome, mmsReceipts: tuning.mmsReceipts, repeat: true });
        }
      });
  }

  private answer(p: PendingSubmit): void {
    if (p.holds) this.windows.release(p.holds.projects, p.holds.at);
    const now = this.deps.now();
    // Receipts due at once (no delays) come in the turn of the answer, as a carrier answering both
    // at once would send them, so the engine writes `sent` and `delivered` together, one row write
    // instead of two (with `answerAfterHandsets`, the answer waits for the handsets; see there).
    const dueNow: PendingReceipt[] = [];
    for (const { s, outcome, tuning } of p.accepted) {
      const at = Math.max(now, p.submittedAt + tuning.delayMs) + receiptDelay(outcome, tuning);
      const receipt = { m: s, outcome, mmsReceipts: tuning.mmsReceipts, repeat: 'attempt' in s && s.attempt > 1 };
      if (at <= now) dueNow.push(receipt);
      else this.receipts.schedule(at, receipt);
    }
    if (dueNow.length && this.settings.answerAfterHandsets) return void this.deliver(dueNow, () => p.resolve(p.results));
    p.resolve(p.results);
    if (dueNow.length) void this.deliver(dueNow);
  }

  /**
   * Which repeated messages a handset already has: a server killed after the handset received a
   * message and before its receipt (or the submission's answer) was written re-arms the receipt (or
   * sends the message again) at its next start, and the handset must not receive it a second time.
   */
  private async alreadyReceived(repeated: ReadonlyArray<Pick<PendingReceipt, 'm'>>): Promise<Set<string>> {
    const received = new Set<string>();
    const byProject = new Map<string, string[]>();
    for (const { m } of repeated) {
      const ids = byProject.get(m.projectId) ?? [];
      ids.push(m.messageId);
      byProject.set(m.projectId, ids);
    }
    for (const [projectId, ids] of byProject) for (const id of await this.deps.inbox.receivedOf(projectId, ids)) received.add(id);
    return received;
  }

  /** Handsets receive their messages (or the server's own numbers do, by loopback); receipts follow. */
  private async deliver(due: PendingReceipt[], answer?: () => void): Promise<void> {
    const sink = this.sink;
    if (!sink || this.stopped) return answer?.();
    const now = this.deps.now();
    try {
      const reaching = due.filter((p) => p.outcome.kind !== 'undelivered');
      // A loopback is known by the outbound message's id, so a repeat finds it stored.
      const routed = reaching.length
        ? await sink.inbound(
            reaching.map(({ m, repeat }) => ({ from: m.from, to: m.to, body: m.body, media: m.media, segments: m.segments, carrier: SIMULATOR_ID, carrierMessageId: m.messageId, receivedAt: now, loopbackFrom: m.projectId, ...(repeat ? { redelivery: true } : {}) })),
          )
        : [];
      const received = await this.alreadyReceived(reaching.filter((p, i) => p.repeat && !routed[i]?.routed));
      const inboxRows = reaching
        .filter(({ m }, i) => !routed[i]?.routed && !received.has(m.messageId))
        .map(({ m }) => ({ projectId: m.projectId, messageId: m.messageId, from: m.from, to: m.to, body: m.body, media: m.media, segments: m.segments, receivedAt: now }));
      if (inboxRows.length) {
        const stored = await this.deps.inbox.insertMany(inboxRows);
        for (const r of stored) this.deps.bus.publish('handset.received', r);
      }
      this.handsetFailures.succeeded();
    } catch (err) {
      this.handsetFailures.failed(err, { messages: due.length });
    }
    const reports: StatusReport[] = [];
    for (const { m, outcome, mmsReceipts } of due) {
      if (outcome.kind === 'no_receipt') continue;
      if (m.kind === 'mms' && !mmsReceipts) continue;
      if (outcome.kind === 'undelivered') reports.push({ messageId: m.messageId, projectId: m.projectId, status: 'undelivered', error: outcome.error, at: now });
      else reports.push({ messageId: m.messageId, projectId: m.projectId, status: 'delivered', at: now });
    }
    answer?.();
    sink.report(reports);
  }
}

