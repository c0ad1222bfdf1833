/**
 * The parts waiting to be submitted, for one connector. Messages are split into parts and queued;
 * a pump sends parts while a bind has window space and the token bucket has a token, otherwise it
 * waits on one timer (it never rejects for rate). `ESME_RTHROTTLED` and `ESME_RMSGQFUL` put the
 * part back at the head of the queue and pause sending with a growing backoff. A message is
 * answered to the engine once every part is answered (and, when accepted, its parts recorded);
 * parts a dropped bind left unanswered go back to the head of the queue, so no accepted message is
 * lost.
 */
import { backoffDelay, type BackoffPolicy, type ErrorKey } from '@switchboard/protocol';
import type { CarrierSubmission, SubmitResult } from '../../domain/ports/carrier.js';
import { DeadlineHeap } from '../../util/deadline-heap.js';
import { TokenBucket } from '../../util/token-bucket.js';
import type { SmppContext } from './context.js';
import { classifySubmitStatus } from './error-codes.js';
import type { MessageIdRespPdu } from './pdu/codec.js';
import { STATUS, statusName } from './pdu/constants.js';
import type { SmppSession, SubmitFields } from './session.js';
import { submitParts } from './submit-parts.js';

/** One message handed to the connector, until every part is answered. */
export interface MessageJob {
  readonly s: CarrierSubmission;
  readonly parts: PartJob[];
  answered: number;
  settled: boolean;
  /** It went back to the dispatcher's retry schedule (settled transient): a later answer is a late one. */
  givenBack: boolean;
  anyAccepted: boolean;
  rejected?: { error: ErrorKey; detail: string };
  /**
   * The records of its accepted parts (`PartQueueDeps.accepted`), each settling once committed or
   * failed: the message is answered accepted only after them (see `settle`).
   */
  readonly recorded: Promise<void>[];
  /** Replaced when the dispatcher's retry adopts the message (`enqueue`, in doubt). */
  resolve: (r: SubmitResult) => void;
}

/** One submit_sm of a message. */
export interface PartJob {
  readonly job: MessageJob;
  /** 1-based. */
  readonly index: number;
  readonly fields: SubmitFields;
  attempts: number;
  carrierId: string | null;
  /** It was in a window when a bind dropped, and is being sent again. */
  resent: boolean;
  /** Sent on a bind and not answered yet. */
  inWindow: boolean;
}

/** What the queue needs from the rest of the connector. */
export interface PartQueueDeps {
  /** The bind to send the next part on, if any has window space. */
  sessionWithRoom(): SmppSession<PartJob> | undefined;
  /**
   * The SMSC accepted `part` under the id `carrierId`: record it. Resolves once the record is
   * committed (or has failed, which the recorder logs); never rejects.
   */
  accepted(part: PartJob, carrierId: string): Promise<void>;
}

/** Most messages remembered as in doubt (given back with parts in a window), oldest forgotten first. */
export const MAX_IN_DOUBT = 10_000;

/** The pause after an SMSC says "throttled": doubling while it keeps saying so. */
const THROTTLE_PAUSE: BackoffPolicy = { initialMs: 200, maxMs: 10_000 };

/** The parts of every message in flight, in submission order, and the pump that sends them. */
export class PartQueue {
  private queue: PartJob[] = [];
  private head = 0;
  /** Messages here and not answered yet, by project and message id (`doubtKey`). */
  private readonly jobs = new Map<string, MessageJob>();
  /** Messages accepted whose answer waits for their parts' records (`settle`), by the same key. */
  private readonly recording = new Map<string, MessageJob>();
  /**
   * Messages given back to the dispatcher while parts of theirs were in a window on a bind still up
   * (`giveBackAll`), by project and message id: the SMSC may have them. The dispatcher's retry of
   * one takes over its parts (`enqueue`) — their answers, late or still to come — instead of sending
   * them again. Forgotten when a bind ends with one of their parts unanswered or a part is refused
   * (the retry then sends the message again), or when their validity runs out.
   */
  private readonly inDoubt = new Map<string, MessageJob>();
  /**
   * The messages in doubt by the end of their validity, so the sweep each second costs what ran
   * out, not all that is held. An entry whose message left `inDoubt` since (adopted, refused,
   * evicted, or remembered again) is skipped when it comes due.
   */
  private readonly doubtDeadlines = new DeadlineHeap<{ readonly key: string; readonly job: MessageJob }>();
  private readonly bucket: TokenBucket | null;
  private throttledUntil = 0;
  /** Throttle pauses in a row since the last accepted part. */
  private throttleStreak = 0;
  /** When the SMSC began answering "throttled" with nothing accepted since; undefined otherwise. */
  private throttledSince: number | undefined;
  /** Parts sent and not answered yet (in a bind's window). */
  private inWindow = 0;
  /**
   * Since when parts have been in a window with no answer to any submit; undefined while none waits.
   * Kept when a bind ends with parts unanswered and they are sent again: the SMSC has still not
   * answered them (an SMSC that swallows submits is stalled after `stalledAfterMs` however often
   * `responseTimeoutMs` ends its binds).
   */
  private unansweredSince: number | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpAt = Infinity;
  private pumping = false;
  private stopping = false;
  private reference = Math.floor(Math.random() * 65536);
  /** Parts sent per second over the last seconds (ring), for the throughput gauge. */
  private readonly sentRing = new Array<number>(5).fill(0);
  private sentThisSecond = 0;

  constructor(
    private readonly ctx: SmppContext,
    private readonly deps: PartQueueDeps,
  ) {
    const rate = ctx.config.throughput;
    this.bucket = rate > 0 ? new TokenBucket(rate, Math.max(1, Math.ceil(rate / 10)), ctx.deps.now()) : null;
  }

  /** Parts waiting to be sent. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Parts sent per second, averaged over the last seconds. */
  get throughput(): number {
    return this.sentRing.reduce((a, b) => a + b, 0) / this.sentRing.length;
  }

  /** Queue a message's parts; resolves once every part is answered (or the message gives up). */
  enqueue(s: CarrierSubmission): Promise<SubmitResult> {
    const c = this.ctx.config;
    if (s.kind === 'mms' || s.media.length) return Promise.resolve({ outcome: 'rejected', error: 'MMS_FAILED', detail: `carrier ${c.id} (SMPP) carries SMS only` });
    const doubt = this.inDoubt.get(doubtKey(s));
    if (doubt) return this.adopt(doubt);
    const live = this.jobs.get(doubtKey(s)) ?? this.recording.get(doubtKey(s));
    if (live) return this.join(live);
    let fields: SubmitFields[];
    try {
      this.reference = (this.reference + 1) % 65536;
      fields = submitParts(s, c, this.reference);
    } catch (err) {
      return Promise.resolve({ outcome: 'rejected', error: 'UNKNOWN_DELIVERY_ERROR', detail: `cannot encode for SMPP: ${(err as Error).message}` });
    }
    return new Promise<SubmitResult>((resolve) => {
      const job: MessageJob = { s, parts: [], answered: 0, settled: false, givenBack: false, anyAccepted: false, recorded: [], resolve };
      fields.forEach((f, i) => job.parts.push({ job, index: i + 1, fields: f, attempts: 0, carrierId: null, resent: false, inWindow: false }));
      this.jobs.set(doubtKey(s), job);
      for (const p of job.parts) this.queue.push(p);
    });
  }

  /** Whether `s` went back to the dispatcher with parts in a window: its retry takes them over (`enqueue`). */
  isInDoubt(s: CarrierSubmission): boolean {
    return this.inDoubt.has(doubtKey(s));
  }

  /** Send what can be sent now; otherwise arm one timer for when it can. */
  pump(): void {
    if (this.pumping || this.stopping) return;
    this.pumping = true;
    try {
      while (this.head < this.queue.length) {
        const part = this.queue[this.head]!;
        if (part.job.settled) {
          this.head++;
          continue;
        }
        const now = this.ctx.deps.now();
        if (now >= part.job.s.expiresAt) {
          // Also when earlier parts were accepted: a part the SMSC throttles for ever (throttling
          // does not count as an attempt) would otherwise keep its message here for good.
          this.head++;
          const which = part.job.anyAccepted ? ` before the SMSC took part ${part.index} of ${part.job.parts.length} (earlier parts were sent)` : ' while waiting for the SMSC';
          this.settle(part.job, { outcome: 'rejected', error: 'VALIDITY_EXPIRED', detail: `validity period ran out${which}` });
          continue;
        }
        if (now < this.throttledUntil) {
          this.armPump(this.throttledUntil);
          break;
        }
        const session = this.deps.sessionWithRoom();
        if (!session) break; // woken again by a bind coming up or an answer freeing the window
        if (this.bucket && !this.bucket.take(now)) {
          this.armPump(this.bucket.nextAt(now));
          break;
        }
        this.head++;
        this.inWindow++;
        this.unansweredSince ??= now;
        part.attempts++;
        part.inWindow = true;
        this.ctx.counters.submitted++;
        this.sentThisSecond++;
        session.submit(part.fields, part);
      }
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The SMSC answered a part's submit_sm. */
  onSubmitAnswered(part: PartJob, resp: MessageIdRespPdu): void {
    const job = part.job;
    part.inWindow = false;
    this.inWindow = Math.max(0, this.inWindow - 1);
    this.unansweredSince = this.inWindow ? this.ctx.deps.now() : undefined;
    const counters = this.ctx.counters;
    if (job.givenBack) this.lateAnswer(part, resp);
    if (resp.status === STATUS.ESME_ROK) {
      counters.accepted++;
      this.throttleStreak = 0;
      this.throttledSince = undefined;
      part.carrierId = resp.messageId;
      job.anyAccepted = true;
      job.recorded.push(this.deps.accepted(part, resp.messageId));
      // Counted settled too: a message in doubt is adopted by its retry with the answers it has.
      if (++job.answered === job.parts.length && !job.settled) this.settleAnswered(job);
      this.pump();
      return;
    }
    const cls = classifySubmitStatus(resp.status, this.ctx.config.errors.submit);
    // Refused after all: its retry sends the message again (this part was not taken).
    if (job.settled) {
      this.inDoubt.delete(doubtKey(job.s));
      return this.pump();
    }
    switch (cls.kind) {
      case 'throttle': {
        counters.throttled++;
        const now = this.ctx.deps.now();
        this.throttledSince ??= now;
        // A whole window answered "throttled" is one signal, not ten: grow the pause once per pause.
        if (now >= this.throttledUntil) this.throttledUntil = now + backoffDelay(THROTTLE_PAUSE, this.throttleStreak++);
        part.attempts--; // throttling is not the part's fault
        this.requeueFront([part]);
        return;
      }
      case 'transient':
        counters.transient_errors++;
        if (part.attempts >= this.ctx.config.maxSubmitAttempts) {
          this.settleTransient(job, `SMSC answered ${statusName(resp.status)} ${part.attempts} times`);
          return this.pump();
        }
        this.throttledUntil = Math.max(this.throttledUntil, this.ctx.deps.now() + THROTTLE_PAUSE.initialMs);
        this.requeueFront([part]);
        return;
      case 'reject':
        counters.rejected++;
        job.rejected ??= { error: cls.error, detail: `SMSC answered ${statusName(resp.status)}${job.parts.length > 1 ? ` for part ${part.index} of ${job.parts.length}` : ''}` };
        this.settleAnswered(job);
        this.pump();
        return;
    }
  }

  /**
   * A bind ended with these parts unanswered: send them again first (or give them up when stopping).
   * A part already sent `maxSubmitAttempts` times gives its message back to the dispatcher's retry
   * schedule instead: an SMSC that never answers it (or answers with the wrong sequence numbers)
   * would otherwise have it submitted again at every rebind, each copy perhaps delivered.
   */
  handBack(parts: readonly PartJob[], reason: string): void {
    this.inWindow = Math.max(0, this.inWindow - parts.length);
    for (const p of parts) {
      p.inWindow = false;
      // Its answer will never come: its retry sends the message again (at least once).
      if (p.job.settled) this.inDoubt.delete(doubtKey(p.job.s));
    }
    const resending = parts.some((p) => !p.job.settled && p.attempts < this.ctx.config.maxSubmitAttempts);
    if (this.inWindow === 0 && !resending) this.unansweredSince = undefined;
    if (this.stopping) {
      for (const p of parts) this.settleTransient(p.job, `SMPP bind closed before the SMSC answered: ${reason}`);
      return;
    }
    const again: PartJob[] = [];
    for (const p of parts) {
      if (p.job.settled) continue;
      if (p.attempts >= this.ctx.config.maxSubmitAttempts) {
        this.ctx.counters.transient_errors++;
        this.settleTransient(p.job, `SMSC left ${p.job.parts.length > 1 ? `part ${p.index} of ${p.job.parts.length}` : 'the message'} unanswered ${p.attempts} times (last: ${reason})`);
        continue;
      }
      p.resent = true;
      again.push(p);
    }
    // In their original order, ahead of everything queued.
    this.ctx.counters.resent += again.length;
    if (again.length) this.requeueFront(again);
  }

  /** How long the SMSC has answered no submit_sm while some waited in a window (0 when none waits). */
  unansweredFor(now: number): number {
    return this.unansweredSince === undefined ? 0 : now - this.unansweredSince;
  }

  /** How long the SMSC has kept this queue paused by throttling (0 when not paused now). */
  throttledFor(now: number): number {
    return this.throttledSince !== undefined && now < this.throttledUntil ? now - this.throttledSince : 0;
  }

  /**
   * Give back to the engine every message none of whose parts is in a window (each unanswered part
   * still in the queue), and drop their parts from the queue; `detail` says why. Returns how many.
   */
  handBackWaiting(detail: string): number {
    const waiting = new Map<MessageJob, number>();
    for (let i = this.head; i < this.queue.length; i++) {
      const job = this.queue[i]!.job;
      if (!job.settled) waiting.set(job, (waiting.get(job) ?? 0) + 1);
    }
    let given = 0;
    for (const [job, n] of waiting) {
      if (n + job.answered !== job.parts.length) continue;
      this.settleTransient(job, detail);
      given++;
    }
    this.queue = this.queue.slice(this.head).filter((p) => !p.job.settled);
    this.head = 0;
    return given;
  }

  /**
   * Give back to the engine every message still here, those with parts in a window (sent, not
   * answered) too, and empty the queue; `detail` says why. For an SMSC that answers no submit_sm:
   * what it holds in its windows may never be answered, and would hold dispatch slots until
   * `responseTimeoutMs` ends the bind. It may have taken those parts: such messages are kept in
   * doubt, and their retries wait for those parts' answers rather than send them again; only if the
   * bind ends first are they sent again (at most the windows' parts). Returns how many.
   */
  giveBackAll(detail: string): number {
    const jobs = [...this.jobs.values()];
    for (const job of jobs) {
      this.settleTransient(job, detail);
      if (job.parts.some((p) => p.inWindow)) this.remember(job);
    }
    this.queue = [];
    this.head = 0;
    return jobs.length;
  }

  /**
   * An answer for a part whose message already went back to the dispatcher. Its message's state is
   * left to the dispatcher's retry, which takes the answer over when the message is in doubt
   * (`adopt`); an accepted part is recorded (as for any answer), so its receipt is correlated, and the
   * guarded transitions apply whichever report comes first.
   */
  private lateAnswer(part: PartJob, resp: MessageIdRespPdu): void {
    this.ctx.counters.late_answers++;
    const { config, deps } = this.ctx;
    deps.logger.warn({ carrier: config.id, messageId: part.job.s.messageId, part: part.index, status: statusName(resp.status) }, 'SMSC answered a submit_sm after its message went back to the dispatcher');
  }

  /**
   * The dispatcher's retry of a message in doubt: it takes over the message's parts instead of
   * sending them again — those answered meanwhile keep their answers, those still in a window
   * their wait, and those never sent go to the head of the queue.
   */
  private adopt(job: MessageJob): Promise<SubmitResult> {
    this.inDoubt.delete(doubtKey(job.s));
    this.ctx.counters.adopted++;
    return new Promise<SubmitResult>((resolve) => {
      job.resolve = resolve;
      job.settled = false;
      job.givenBack = false;
      this.jobs.set(doubtKey(job.s), job);
      if (job.answered === job.parts.length) return this.settleAnswered(job);
      const unsent = job.parts.filter((p) => !p.inWindow && p.carrierId === null);
      if (unsent.length) this.requeueFront(unsent);
    });
  }

  /**
   * A retry of a message still here, not answered yet: its dispatch lease ran out while it waited
   * (behind `throughput`, or for its parts' records) and the dispatcher claimed it again. It gets the same answer as the
   * submission it retries, rather than sending the message a second time.
   */
  private join(job: MessageJob): Promise<SubmitResult> {
    this.ctx.counters.adopted++;
    return new Promise<SubmitResult>((resolve) => {
      const earlier = job.resolve;
      job.resolve = (r) => {
        earlier(r);
        resolve(r);
      };
    });
  }

  private remember(job: MessageJob): void {
    const key = doubtKey(job.s);
    this.inDoubt.set(key, job);
    if (this.inDoubt.size > MAX_IN_DOUBT) this.inDoubt.delete(this.inDoubt.keys().next().value!);
    // Entries of messages gone from `inDoubt` wait for their deadlines: rebuilt from what is left
    // when they outnumber it (after at least as many changes as it holds: amortised, once each).
    if (this.doubtDeadlines.size >= 2 * this.inDoubt.size + 64) {
      this.doubtDeadlines.clear();
      for (const [k, j] of this.inDoubt) this.doubtDeadlines.push(j.s.expiresAt, { key: k, job: j });
    } else this.doubtDeadlines.push(job.s.expiresAt, { key, job });
  }

  /** Close the throughput gauge's current second (called once a second). */
  tick(): void {
    const now = this.ctx.deps.now();
    for (const { key, job } of this.doubtDeadlines.popDue(now)) if (this.inDoubt.get(key) === job) this.inDoubt.delete(key);
    this.sentRing.shift();
    this.sentRing.push(this.sentThisSecond);
    this.sentThisSecond = 0;
  }

  /** Send nothing more; parts not sent yet go back to the engine. */
  stop(detail: string): void {
    this.stopping = true;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    for (let i = this.head; i < this.queue.length; i++) this.settleTransient(this.queue[i]!.job, detail);
    this.queue = [];
    this.head = 0;
  }

  /** Give every message still waiting for an answer back to the engine. */
  abandon(detail: string): void {
    this.inDoubt.clear();
    this.doubtDeadlines.clear();
    for (const job of [...this.jobs.values()]) this.settleTransient(job, detail);
  }

  private requeueFront(parts: PartJob[]): void {
    this.queue.splice(this.head, 0, ...parts);
    this.pump();
  }

  private armPump(at: number): void {
    if (this.pumpTimer && this.pumpAt <= at) return;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpAt = at;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pumpAt = Infinity;
      this.pump();
    }, Math.max(0, at - this.ctx.deps.now()));
    this.pumpTimer.unref();
  }

  private settleAnswered(job: MessageJob): void {
    if (job.rejected) return this.settle(job, { outcome: 'rejected', error: job.rejected.error, detail: job.rejected.detail });
    this.settle(job, { outcome: 'accepted', carrierMessageId: job.parts[0]!.carrierId ?? '', parts: job.parts.length });
  }

  private settleTransient(job: MessageJob, detail: string): void {
    if (!job.settled) job.givenBack = true;
    this.settle(job, { outcome: 'transient', detail });
  }

  /**
   * The message is done here; its answer goes to the engine now, or, when accepted, once its parts'
   * records are committed. The engine then records the message `sent` in its own transaction: were
   * that committed first and this node to die before the parts' records, the message would stay
   * `sent` with no part its receipt could find (the SMSC delivers the receipt to whichever node binds
   * next). A message `sent` always has its parts recorded; a node dying in between leaves the message
   * `initiated`, sent again by its retry (at least once).
   */
  private settle(job: MessageJob, result: SubmitResult): void {
    if (job.settled) return;
    job.settled = true;
    if (this.jobs.get(doubtKey(job.s)) === job) this.jobs.delete(doubtKey(job.s));
    if (this.inWindow === 0 && this.jobs.size === 0) this.unansweredSince = undefined;
    if (result.outcome !== 'accepted' || job.recorded.length === 0) return job.resolve(result);
    // Its retry meanwhile (storage slow, the dispatch lease ran out) joins this answer.
    const key = doubtKey(job.s);
    this.recording.set(key, job);
    void Promise.all(job.recorded).then(() => {
      if (this.recording.get(key) === job) this.recording.delete(key);
      job.resolve(result);
    });
  }
}

/** A message's key among those in doubt. */
function doubtKey(s: CarrierSubmission): string {
  return `${s.projectId}\u0000${s.messageId}`;
}
