/**
 * Delivers the webhook outbox. Claims due deliveries in batches (one message's webhooks strictly in
 * order) into a local queue per destination, signs and sends them with bounded concurrency — per
 * destination too (`DestinationGate`: a cap per project and `host:port`, and a circuit breaker) —
 * records every attempt, and retries with capped exponential backoff: status callbacks until their
 * retry window closes (`nextRetryAt`), cXML document fetches as often as their `max_attempts` says
 * (a fallback URL gets the last attempt). It never blocks the message pipeline: deliveries are
 * rows, not promises, so a restart continues every schedule where it was.
 */
import { backoffDelay, ERRORS } from '@switchboard/protocol';
import type { Clock } from '../domain/clock.js';
import type { Bus } from '../domain/ports/bus.js';
import type { EngineMetrics } from '../domain/ports/metrics.js';
import { isStoreUnavailable, retryWhileUnavailable, STORAGE_RETRY, type Store, type WebhookClaimLimits, type WebhookSettlement } from '../domain/ports/store.js';
import { destinationOf, nextAttemptTarget, nextRetryAt, type WebhookAttemptRecord, type WebhookDeliveryRecord, type WebhookKind, type WebhookRetryPolicy } from '../domain/webhooks.js';
import type { Logger } from '../domain/ports/logger.js';
import { lastServed, servesSeveralProjects } from '../domain/claim-cursor.js';
import { Batcher } from '../util/batcher.js';
import { WorkLoop } from '../util/work-loop.js';
import { RepeatedFailure } from '../util/log-limiter.js';
import { DestinationGate } from './destination-gate.js';
import { boundedError, WebhookFailureLog } from './failure-log.js';
import type { WebhookHttpClient, WebhookRequest, WebhookResponse, WireSent } from './http-client.js';
import { describeFailure, IdempotencyTokens } from './webhook-request.js';
import type { SigningKeys } from './signing-keys.js';
import { timeoutsFromUrl, type WebhookTimeouts } from './timeouts.js';
import { splitCredentials } from './url-credentials.js';

/** Transport failures (refused, timed out, non-2xx) are reported with the compat webhook code 11200. */
const WEBHOOK_FAILED = ERRORS.WEBHOOK_FAILED.compat;

export interface WebhookRunnerOptions {
  /** Node identity recorded on leases. */
  readonly nodeId: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Status callbacks are retried until this long after they were created (or re-driven). */
  readonly retryWindowMs: number;
  /** Give status callbacks up after this many attempts even inside the window; null: never. */
  readonly maxAttempts: number | null;
  /** Requests in flight to one destination (a project's `host:port`) at most. */
  readonly perDestination: number;
  /** Consecutive attempts without an answer that close a destination, and for how long. */
  readonly breaker: { readonly failures: number; readonly cooldownMs: number };
  readonly timeouts: WebhookTimeouts;
  readonly userAgent: string;
}

/** What a handler decides about a response (used by cXML handling, which must parse the answer). */
export type ResponseVerdict = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly retryable: boolean };

/** Reads the answer of a delivered webhook of one kind (e.g. a cXML document) and acts on it. */
export type ResponseHandler = (delivery: WebhookDeliveryRecord, response: WebhookResponse) => Promise<ResponseVerdict>;

/** The bookkeeping of one finished attempt: its log row and the delivery's new state. */
interface Settlement {
  readonly attempt: Omit<WebhookAttemptRecord, 'id'>;
  readonly id: number;
  readonly result: WebhookSettlement;
  /** While storage fails, writing it is retried until then: the delivery's lease ends soon after. */
  readonly retryUntil: number;
}

/**
 * Claimed deliveries kept in memory per destination, up to this many times the per-destination
 * cap: a finished request starts the next one from memory instead of claiming one row at a time
 * (which cost a claim statement per callback under load).
 */
const PREFETCH_PER_DESTINATION = 8;
/** A buffered delivery is dropped (its lease lapses and it is claimed again) this close to its lease's end. */
const LEASE_MARGIN_MS = 1_000;
/**
 * A claim looks past full destinations' backlogs (a read over all of it) at most this often, so a
 * saturated receiver delays others' first deliveries by up to this much instead of making every
 * claim walk its backlog. While those reads find no other destination's deliveries the interval
 * doubles, up to the longest: with one receiver's backlog of 10,000 callbacks each read took
 * 5-7 ms of the event loop on SQLite, ten times a second, for nothing (`compat-e2e`).
 */
const LOOK_PAST_FULL_EVERY_MS = 100;
const LOOK_PAST_FULL_LONGEST_MS = 1_600;
/** After a claim served one project alone, how soon claims scan for others' due deliveries again (a statement each). */
const SHARE_SCAN_EVERY_MS = 250;

/** A claimed delivery waiting in memory for its destination's turn. */
interface Buffered {
  readonly delivery: WebhookDeliveryRecord;
  /** Send it no later than this, or leave it to a later claim: its lease would run out mid-request. */
  readonly sendBy: number;
  /** When its lease ends. */
  readonly leaseEnds: number;
}

/** How one HTTP exchange went. */
interface Exchange {
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly excerpt: string | null;
  readonly retryable: boolean;
  readonly sent: WireSent;
}

export class WebhookRunner {
  private readonly loop: WorkLoop;
  private unsubscribe: (() => void) | undefined;
  private readonly handlers = new Map<WebhookKind, ResponseHandler>();
  /** Attempts finishing together share one commit. */
  private readonly bookkeeping: Batcher<Settlement, undefined>;
  private readonly gate: DestinationGate;
  private readonly policy: WebhookRetryPolicy;
  /** Claimed and not yet started, per destination (FIFO: claims come in due order). */
  private readonly buffer = new Map<string, Buffered[]>();
  private buffered = 0;
  /** Deliveries whose request this node has under way. */
  private readonly sending = new Set<number>();
  /**
   * Whether a claim could find something: false after a claim came back short, until new work is
   * written, a settle hands a message's next webhook on, a full destination frees up, or a known
   * due time passes (`claimAgainAt`). Keeps finished requests from each running a claim.
   */
  private mayHaveMore = true;
  private claimAgainAt = Infinity;
  /** The last short claim left out destinations that were full: one finishing may find more. */
  private shortClaimSkippedFull = false;
  private lookedPastFullAt = -Infinity;
  /** How often a claim looks past full destinations now (`LOOK_PAST_FULL_EVERY_MS` … `_LONGEST_MS`). */
  private lookPastEveryMs = LOOK_PAST_FULL_EVERY_MS;
  /** Counts `claimSoon` calls: a short claim clears `mayHaveMore` only if none came while it ran. */
  private claimRequests = 0;
  /** The project the last claim served last (round-robin across claims: `WebhookClaimLimits.after`). */
  private claimCursor = '';
  /** Claims share between projects while they serve several; else only from this time (`SHARE_SCAN_EVERY_MS`). */
  private shareScanAt = -Infinity;
  private readonly failures: WebhookFailureLog;
  /** The batch of settlements being written may be retried until then (the earliest `retryUntil` in it). */
  private settlingUntil = 0;
  private readonly tokens: IdempotencyTokens;

  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly bus: Bus;
      readonly http: WebhookHttpClient;
      readonly keys: SigningKeys;
      readonly metrics: EngineMetrics;
      readonly logger: Logger;
    },
    private readonly opts: WebhookRunnerOptions,
  ) {
    this.loop = new WorkLoop(
      () => this.pass(),
      deps.clock,
      new RepeatedFailure(deps.logger, 'error', 'claiming webhooks failed; retrying shortly', 'claiming webhooks succeeds again'),
      undefined,
      true,
    );
    this.failures = new WebhookFailureLog(deps.logger);
    this.tokens = new IdempotencyTokens({ keys: deps.store.serverKeys, clock: deps.clock });
    this.gate = new DestinationGate({
      perDestination: opts.perDestination,
      // A destination answering fast may grow to half the pool: the other half stays for the rest.
      maxPerDestination: Math.max(opts.perDestination, Math.floor(opts.concurrency / 2)),
      pool: opts.concurrency,
      breakerFailures: opts.breaker.failures,
      breakerCooldownMs: opts.breaker.cooldownMs,
    });
    this.policy = { windowMs: opts.retryWindowMs, maxAttempts: opts.maxAttempts, backoff: { initialMs: opts.retryBaseMs, maxMs: opts.retryMaxMs, jitter: 0.2 } };
    this.bookkeeping = new Batcher(
      async (items) => {
        const now = deps.clock.now();
        this.settlingUntil = Math.min(...items.map((s) => s.retryUntil));
        // A settled delivery hands its message's head on; the new heads that are due come back leased.
        const next = await deps.store.transaction(async (tx) => {
          await tx.webhooks.recordAttempts(items.map((s) => s.attempt));
          return tx.webhooks.settleMany(
            items.map((s) => ({ id: s.id, ...s.result })),
            this.loop.stopped ? undefined : { owner: opts.nodeId, now, leaseMs: opts.leaseMs },
          );
        });
        this.hold(next, now);
        // Retries settled (due soon) and finished requests (room for more): worth a claim, unless
        // enough already waits here — the new heads usually are what the claim would find.
        if (this.buffered < this.opts.concurrency || items.some((s) => s.result.status === 'pending')) this.claimSoon();
        else this.loop.wake();
        return items.map(() => undefined);
      },
      500,
      // A finished attempt whose bookkeeping storage refuses (a full disk, the database unreachable)
      // is written again while its lease lasts, as the journal retries state changes: given up, it
      // would be sent again when the lease ends (30 s later), its message's next callbacks behind it.
      (err, attempt) => {
        if (!isStoreUnavailable(err) || this.loop.stopped) return null;
        const delay = backoffDelay(STORAGE_RETRY, attempt - 1);
        return deps.clock.now() + delay < this.settlingUntil ? delay : null;
      },
    );
  }

  /** Register what to do with the responses of one kind of webhook. */
  onResponse(kind: WebhookKind, handler: ResponseHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Begin delivering; `releaseAllLeases` recovers deliveries a previous run of a single-node server held. */
  async start(releaseAllLeases: boolean): Promise<void> {
    const released = await this.deps.store.webhooks.releaseLeases(releaseAllLeases ? null : this.opts.nodeId, this.deps.clock.now());
    if (released) this.deps.logger.info({ released }, 'released webhook leases held by a previous run');
    this.unsubscribe = this.deps.bus.subscribe('work.available', (e) => {
      if (e.queue === 'webhooks') this.claimSoon();
    });
    this.loop.start();
  }

  /** Stop claiming; wait for requests in flight (bounded by their timeouts), and give back what was claimed but not sent. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.stop();
    await this.bookkeeping.drain();
    this.failures.stop();
    if (this.buffered > 0) {
      this.buffer.clear();
      this.gate.clearWaiting();
      this.buffered = 0;
      await this.deps.store.webhooks.releaseLeases(this.opts.nodeId, this.deps.clock.now()).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not release claimed webhooks at shutdown; they are claimed again when their lease ends'));
    }
  }

  /** Look for due deliveries soon. */
  wake(): void {
    this.claimSoon();
  }

  private claimSoon(): void {
    this.mayHaveMore = true;
    this.claimRequests++;
    this.loop.wake();
  }

  private async pass(): Promise<void> {
    const { store, clock } = this.deps;
    const target = this.opts.concurrency * 2;
    while (!this.loop.stopped) {
      const now = clock.now();
      this.startBuffered(now);
      if (now >= this.claimAgainAt) {
        this.claimAgainAt = Infinity;
        this.mayHaveMore = true;
      }
      // Enough waiting in memory, or nothing new to find: the next finished request wakes the loop.
      // But slots that what waits cannot use (its project holds its share of the pool) go to others:
      // a claim for them leaves that project out, up to twice as much in memory.
      const busy = this.gate.busyProjects();
      const idle = busy.length && this.buffered < 2 * target ? this.opts.concurrency - this.loop.active : 0;
      const want = Math.max(target - this.buffered, idle);
      if (!this.mayHaveMore || want <= 0) {
        // The loop keeps one timer, for its earliest time: one that fired early took this one's place.
        if (this.claimAgainAt !== Infinity) this.loop.armAt(this.claimAgainAt);
        return;
      }
      const { limits, full } = this.claimLimits(now);
      const requests = this.claimRequests;
      const shareByProject = now >= this.shareScanAt;
      const due = await store.webhooks.claimDue(now, want, this.opts.leaseMs, this.opts.nodeId, { ...limits, after: this.claimCursor, shareByProject, ...(want > target - this.buffered ? { busyProjects: busy } : {}) });
      this.claimCursor = lastServed(due, this.claimCursor);
      if (servesSeveralProjects(due)) this.shareScanAt = -Infinity;
      else if (shareByProject) this.shareScanAt = now + SHARE_SCAN_EVERY_MS;
      if (limits.lookPastFull && due.length < want) this.pace(full, due);
      this.hold(due, now);
      if (due.length < want) {
        // Work written while the claim ran may not have been visible to it: then look again.
        if (requests !== this.claimRequests) continue;
        this.mayHaveMore = false;
        this.shortClaimSkippedFull = full.size > 0;
        if (this.shortClaimSkippedFull && !limits.lookPastFull) {
          // Others' deliveries may wait behind a full destination's: look past it shortly.
          this.claimAgainAt = Math.min(this.claimAgainAt, this.lookedPastFullAt + this.lookPastEveryMs);
          this.loop.armAt(this.claimAgainAt);
        }
        this.startBuffered(clock.now());
        // Nothing in flight to wake the loop: what waits here can only wait for a paused destination, and retries due first must not wait for it.
        if (due.length === 0 && (this.buffered === 0 || this.loop.active === 0)) await this.armForNextDue(now);
        return;
      }
    }
  }

  /**
   * After a claim that looked past the `full` destinations and came back short: found others'
   * deliveries, keep looking often; found none, less often.
   */
  private pace(full: ReadonlySet<string>, due: readonly WebhookDeliveryRecord[]): void {
    const foundOthers = due.some((d) => !full.has(d.destination));
    this.lookPastEveryMs = foundOthers ? LOOK_PAST_FULL_EVERY_MS : Math.min(this.lookPastEveryMs * 2, LOOK_PAST_FULL_LONGEST_MS);
  }

  /** Keep deliveries leased at `leasedAt` until their destination has room. */
  private hold(deliveries: readonly WebhookDeliveryRecord[], leasedAt: number): void {
    // Start a request only while the lease outlasts it; with a lease shorter than the request
    // timeout (a test setting) that cannot hold, and the first half of the lease is the window.
    const sendBy = leasedAt + Math.max(this.opts.leaseMs - this.opts.timeouts.totalMs - LEASE_MARGIN_MS, this.opts.leaseMs / 2);
    const leaseEnds = leasedAt + this.opts.leaseMs;
    for (const d of deliveries) {
      // Claimed again while this node sends it (its lease ran out under the request: the node froze):
      // that request settles it. Held, the copy went out as it ended: the callback twice from one node.
      if (this.sending.has(d.id)) continue;
      // The row keeps the destination of its next attempt, the key the claim counted it under.
      const queue = this.buffer.get(d.destination);
      if (queue) queue.push({ delivery: d, sendBy, leaseEnds });
      else this.buffer.set(d.destination, [{ delivery: d, sendBy, leaseEnds }]);
      this.gate.addWaiting(d.destination, 1);
      this.buffered++;
    }
  }

  /** Nothing to claim now: wake at the next due delivery (outside full or closed destinations) or breaker reopening. */
  private async armForNextDue(now: number): Promise<void> {
    const next = await this.deps.store.webhooks.nextDueAt(this.gate.blocked(now));
    const reopen = this.gate.nextReopenAt(now);
    for (const at of [next, reopen]) {
      if (at === undefined) continue;
      this.claimAgainAt = Math.min(this.claimAgainAt, at);
      this.loop.armAt(at);
    }
  }

  /**
   * What a claim may take per destination: the gate's room, scaled by how many may wait in memory,
   * less what already waits; and the destinations with no room left (`full`).
   */
  private claimLimits(now: number): { limits: WebhookClaimLimits; full: Set<string> } {
    const { perDestination, room } = this.gate.limits(now);
    // Memory holds PREFETCH_PER_DESTINATION times the base share, plus the slots a fast destination was given on top.
    const depth = (d: string) => perDestination * PREFETCH_PER_DESTINATION + this.gate.capOf(d) - perDestination;
    const scaled: Record<string, number> = {};
    for (const [d, n] of Object.entries(room)) {
      // A closed destination, or one letting a single probe through, gets no prefetch.
      const waiting = this.buffer.get(d)?.length ?? 0;
      scaled[d] = this.gate.tripped(d) ? n - waiting : depth(d) - (this.gate.capOf(d) - n) - waiting;
    }
    for (const [d, q] of this.buffer) if (!(d in scaled)) scaled[d] = depth(d) - q.length;
    const full = new Set<string>();
    for (const d in scaled) if (scaled[d]! <= 0) full.add(d);
    // Only a claim with a full destination can look past one: the others leave the interval running.
    const lookPastFull = full.size > 0 && now - this.lookedPastFullAt >= this.lookPastEveryMs;
    if (lookPastFull) this.lookedPastFullAt = now;
    return { limits: { perDestination: perDestination * PREFETCH_PER_DESTINATION, room: scaled, lookPastFull }, full };
  }

  /**
   * Start buffered deliveries while their destinations and the pool have room: first every
   * destination up to its base share, then the destinations answering fast up to their raised cap.
   */
  private startBuffered(now: number): void {
    if (this.buffered === 0) return;
    this.startWithin(now, true);
    if (this.buffered > 0) this.startWithin(now, false);
  }

  private startWithin(now: number, baseShare: boolean): void {
    const { logger } = this.deps;
    for (const [destination, queue] of this.buffer) {
      while (queue.length && this.loop.active < this.opts.concurrency && this.gate.hasRoom(destination, now, baseShare) && this.gate.projectHasRoom(destination)) {
        const { delivery, sendBy, leaseEnds } = queue.shift()!;
        this.buffered--;
        this.gate.addWaiting(destination, -1);
        // Too close to its lease's end: another claim (here or on another node) sends it.
        if (now > sendBy) continue;
        if (this.sending.has(delivery.id)) continue; // claimed again as it was being sent (`hold`)
        this.sending.add(delivery.id);
        this.gate.begin(destination);
        const sent = this.deliver(delivery, leaseEnds - LEASE_MARGIN_MS, sendBy).finally(() => this.sending.delete(delivery.id));
        this.loop.track(sent, (err) => logger.error({ err, deliveryId: delivery.id }, 'webhook bookkeeping failed; it retries when its lease expires'));
      }
      // A paused destination's queue is handed back to the store by `pauseDestination`.
      if (queue.length === 0) this.buffer.delete(destination);
      if (this.loop.active >= this.opts.concurrency) return;
    }
  }

  private async deliver(d: WebhookDeliveryRecord, retryUntil: number, sendBy: number): Promise<void> {
    const { clock, keys, metrics } = this.deps;
    const destination = d.destination;
    const attempt = d.attempts + 1;
    const { method, url: targetUrl } = nextAttemptTarget(d);
    const { url: configured, timeouts } = timeoutsFromUrl(targetUrl, this.opts.timeouts);
    // Credentials in the URL ask for Basic authentication; the URL requested, signed and logged is without them.
    const { url, authorization } = splitCredentials(configured);
    // One token per delivery, the same on each attempt: what a receiver dedupes on (at least once). Keys storage refuses are asked again while the lease allows a send.
    const [key, token] = await retryWhileUnavailable(() => Promise.all([keys.get(d.projectId), this.tokens.of(d)]), sendBy, clock, () => this.loop.stopped).catch((err: unknown) => {
      this.gate.release(destination);
      throw err;
    });
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, 'I-Twilio-Idempotency-Token': token };
    if (authorization !== null) headers['Authorization'] = authorization;
    const started = clock.now();
    const t0 = performance.now();
    // The HTTP worker builds the wire form and signs it (signing.ts).
    const sign = { key: key ?? '', scheme: d.signature, contentType: d.contentType };
    const { statusCode, excerpt, retryable, sent, ...outcome } = await this.exchange(d, { project: d.projectId, url, method, headers, body: d.body, timeouts, sign });
    const { requestUrl, signature } = sent;
    const error = boundedError(outcome.error);
    const durationMs = Math.round(performance.now() - t0);
    // The destination's slot is free once the exchange is over, whatever the bookkeeping does.
    const change = this.gate.end(destination, statusCode !== null, clock.now(), { succeeded: error === null, durationMs });
    if (this.shortClaimSkippedFull) {
      // A claim left this destination's rows out while it was full; now it has room again.
      this.shortClaimSkippedFull = false;
      this.mayHaveMore = true;
    }
    if (change?.kind === 'paused') await this.pauseDestination(destination, change.until);
    else if (change?.kind === 'resumed') await this.resumeDestination(destination);
    const now = clock.now();
    const logged = { deliveryId: d.id, projectId: d.projectId, attempt, url: requestUrl, at: started, durationMs, statusCode, error, signature, responseExcerpt: excerpt };

    if (error === null) {
      await this.bookkeeping.add({ attempt: logged, id: d.id, retryUntil, result: { status: 'delivered', attempts: attempt, nextAttemptAt: now, lastStatusCode: statusCode, lastError: null, at: now } });
      metrics.webhookOutcome(d.kind, 'delivered');
      return;
    }
    const retryAt = retryable ? nextRetryAt(d, attempt, now, this.policy, started) : null;
    const giveUp = retryAt === null;
    // The next attempt (also one a console retry or re-drive makes of a failed delivery) may go
    // elsewhere (a cXML fallback URL): the row keeps that destination for claims to count it under.
    const next = destinationOf(d.projectId, nextAttemptTarget({ ...d, attempts: attempt }).url);
    // A closed destination's deliveries wait for its cool-down (past the window's end: one last attempt then).
    const nextAttemptAt = giveUp ? now : Math.max(retryAt, this.gate.closedUntil(next, now) ?? 0);
    await this.bookkeeping.add({
      attempt: logged,
      id: d.id,
      retryUntil,
      result: {
        status: giveUp ? 'failed' : 'pending',
        attempts: attempt,
        nextAttemptAt,
        lastStatusCode: statusCode,
        lastError: error,
        at: now,
        ...(next !== d.destination ? { destination: next } : {}),
      },
    });
    metrics.webhookOutcome(d.kind, giveUp ? 'failed' : 'retry');
    this.failures.failed({ destination, url: requestUrl, kind: d.kind, deliveryId: d.id, attempt, error, giveUp });
    if (!giveUp) {
      this.claimAgainAt = Math.min(this.claimAgainAt, nextAttemptAt);
      this.loop.armAt(nextAttemptAt);
    }
  }

  /** Send the request and judge the answer (a handler reads it for kinds that have one); never throws. */
  private async exchange(d: WebhookDeliveryRecord, request: WebhookRequest): Promise<Exchange> {
    let statusCode: number | null = null;
    let sent: WireSent = { requestUrl: request.url, signature: '' };
    try {
      const res = await this.deps.http.send(request);
      statusCode = res.statusCode;
      sent = { requestUrl: res.requestUrl, signature: res.signature };
      const excerpt = res.body.slice(0, 512) || null;
      if (res.statusCode < 200 || res.statusCode >= 300) return { statusCode, error: `${WEBHOOK_FAILED}: HTTP ${res.statusCode}`, excerpt, retryable: true, sent };
      const verdict = (await this.handlers.get(d.kind)?.(d, res)) ?? { ok: true };
      return verdict.ok ? { statusCode, error: null, excerpt, retryable: true, sent } : { statusCode, error: verdict.error, excerpt, retryable: verdict.retryable, sent };
    } catch (err) {
      return { statusCode, error: `${WEBHOOK_FAILED}: ${describeFailure(err)}`, excerpt: null, retryable: true, sent: (err as { sent?: WireSent }).sent ?? sent };
    }
  }

  /** A destination stopped answering: hold its waiting deliveries until `until`, counting no attempt. */
  private async pauseDestination(destination: string, until: number): Promise<void> {
    this.claimAgainAt = Math.min(this.claimAgainAt, until);
    this.loop.armAt(until);
    const waiting = this.buffer.get(destination) ?? [];
    this.buffer.delete(destination);
    this.buffered -= waiting.length;
    this.gate.addWaiting(destination, -waiting.length);
    try {
      // Claimed but not sent: back to the store, to wait out the pause with the rest.
      if (waiting.length) await this.deps.store.webhooks.releaseClaimed(waiting.map((w) => w.delivery.id), this.opts.nodeId, until);
      // Attempts that ended just before this one may still be settling (due soon): defer them too.
      await this.bookkeeping.drain();
      const deferred = await this.deps.store.webhooks.deferDestination(destination, until);
      this.deps.logger.warn({ destination, until: new Date(until).toISOString(), deferred }, 'webhook destination is not answering; holding its deliveries');
    } catch (err) {
      // Claims skip the destination anyway; deferring only keeps them from reading its rows.
      this.deps.logger.warn({ err, destination }, 'could not defer the deliveries of a paused webhook destination');
    }
  }

  /** A paused destination answers again: what waits for it (backoff, pause) is due now. */
  private async resumeDestination(destination: string): Promise<void> {
    try {
      const resumed = await this.deps.store.webhooks.resumeDestination(destination, this.deps.clock.now());
      this.deps.logger.info({ destination, resumed }, 'webhook destination answers again; sending what waited for it');
      this.claimSoon();
    } catch (err) {
      // They go at their own retry times instead.
      this.deps.logger.warn({ err, destination }, 'could not resume the deliveries of a webhook destination');
    }
  }
}
