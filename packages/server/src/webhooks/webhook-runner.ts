/**
 * Delivers the webhook outbox. Claims due deliveries in batches (one message's webhooks strictly in
 * order), signs and sends them with bounded concurrency, records every attempt, and retries with
 * capped exponential backoff until `max_attempts`; a delivery with a fallback URL makes its last
 * attempt there. It never blocks the message pipeline: deliveries are rows, not promises.
 */
import { backoffDelay, ERRORS } from '@switchboard/protocol';
import type { Clock } from '../domain/clock.js';
import type { Bus } from '../domain/ports/bus.js';
import type { EngineMetrics } from '../domain/ports/metrics.js';
import type { Store } from '../domain/ports/store.js';
import { nextAttemptTarget, type WebhookAttemptRecord, type WebhookDeliveryRecord, type WebhookKind } from '../domain/webhooks.js';
import type { Logger } from '../domain/ports/logger.js';
import { Batcher } from '../util/batcher.js';
import { WorkLoop } from '../util/work-loop.js';
import type { WebhookHttpClient, WebhookResponse } from './http-client.js';
import { signFormRequest, signJsonRequest } from './signing.js';
import type { SigningKeys } from './signing-keys.js';
import { timeoutsFromUrl, type WebhookTimeouts } from './timeouts.js';

/** Transport failures (refused, timed out, non-2xx) are reported with the compat webhook code 11200. */
const WEBHOOK_FAILED = ERRORS.WEBHOOK_FAILED.compat;

export interface WebhookRunnerOptions {
  /** Node identity recorded on leases. */
  readonly nodeId: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
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
  readonly result: Parameters<Store['webhooks']['settle']>[1];
}

export class WebhookRunner {
  private readonly loop: WorkLoop;
  private unsubscribe: (() => void) | undefined;
  private readonly handlers = new Map<WebhookKind, ResponseHandler>();
  /** Attempts finishing together share one commit. */
  private readonly bookkeeping: Batcher<Settlement, undefined>;

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
      () => deps.clock.now(),
      (err) => deps.logger.error({ err }, 'claiming webhooks failed; retrying shortly'),
    );
    this.bookkeeping = new Batcher(async (items) => {
      await deps.store.transaction(async (tx) => {
        for (const s of items) {
          await tx.webhooks.recordAttempt(s.attempt);
          await tx.webhooks.settle(s.id, s.result);
        }
      });
      return items.map(() => undefined);
    }, 500);
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
      if (e.queue === 'webhooks') this.loop.wake();
    });
    this.loop.start();
  }

  /** Stop claiming; wait for requests in flight (bounded by their timeouts). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.stop();
    await this.bookkeeping.drain();
  }

  /** Look for due deliveries soon. */
  wake(): void {
    this.loop.wake();
  }

  private async pass(): Promise<void> {
    const { store, clock, logger } = this.deps;
    while (!this.loop.stopped) {
      const room = this.opts.concurrency - this.loop.active;
      if (room <= 0) return;
      const due = await store.webhooks.claimDue(clock.now(), room, this.opts.leaseMs, this.opts.nodeId);
      if (due.length === 0) {
        const next = await store.webhooks.nextDueAt();
        if (next !== undefined) this.loop.armAt(next);
        return;
      }
      for (const d of due) {
        this.loop.track(this.deliver(d), (err) => logger.error({ err, deliveryId: d.id }, 'webhook bookkeeping failed; it retries when its lease expires'));
      }
      if (due.length < room) return;
    }
  }

  private async deliver(d: WebhookDeliveryRecord): Promise<void> {
    const { clock, http, keys, metrics, logger } = this.deps;
    const attempt = d.attempts + 1;
    const target = nextAttemptTarget(d);
    const method = target.method;
    const { url, timeouts } = timeoutsFromUrl(target.url, this.opts.timeouts);
    const key = await keys.get(d.projectId);
    const { requestUrl, body, signature, headers } = buildRequest(d, url, method, key ?? '');
    headers['User-Agent'] = this.opts.userAgent;

    const started = clock.now();
    const t0 = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let excerpt: string | null = null;
    let retryable = true;
    try {
      const res = await http.send({ url: requestUrl, method, headers, body, timeouts });
      statusCode = res.statusCode;
      excerpt = res.body.slice(0, 512) || null;
      if (res.statusCode < 200 || res.statusCode >= 300) {
        error = `${WEBHOOK_FAILED}: HTTP ${res.statusCode}`;
      } else {
        const handler = this.handlers.get(d.kind);
        if (handler) {
          const verdict = await handler(d, res);
          if (!verdict.ok) {
            error = verdict.error;
            retryable = verdict.retryable;
          }
        }
      }
    } catch (err) {
      error = `${WEBHOOK_FAILED}: ${describeFailure(err)}`;
    }
    const durationMs = Math.round(performance.now() - t0);
    const now = clock.now();
    const logged = { deliveryId: d.id, projectId: d.projectId, attempt, url: requestUrl, at: started, durationMs, statusCode, error, signature, responseExcerpt: excerpt };

    if (error === null) {
      await this.bookkeeping.add({ attempt: logged, id: d.id, result: { status: 'delivered', attempts: attempt, nextAttemptAt: now, lastStatusCode: statusCode, lastError: null, at: now } });
      metrics.webhookOutcome(d.kind, 'delivered');
      return;
    }
    const giveUp = !retryable || attempt >= d.maxAttempts;
    const nextAttemptAt = giveUp ? now : now + this.backoff(attempt);
    await this.bookkeeping.add({
      attempt: logged,
      id: d.id,
      result: { status: giveUp ? 'failed' : 'pending', attempts: attempt, nextAttemptAt, lastStatusCode: statusCode, lastError: error, at: now },
    });
    metrics.webhookOutcome(d.kind, giveUp ? 'failed' : 'retry');
    logger.warn({ deliveryId: d.id, kind: d.kind, url: requestUrl, attempt, error, giveUp }, giveUp ? 'webhook failed for good' : 'webhook failed; will retry');
    if (!giveUp) this.loop.armAt(nextAttemptAt);
  }

  /** The wait after failed attempt `attempt` (1-based): capped doubling with ±20% jitter. */
  private backoff(attempt: number): number {
    return backoffDelay({ initialMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs, jitter: 0.2 }, attempt - 1);
  }
}

/** The wire request for a delivery: body, signature and headers for its scheme and method. */
function buildRequest(d: WebhookDeliveryRecord, url: string, method: 'GET' | 'POST', key: string) {
  const headers: Record<string, string> = {};
  if (d.signature === 'json-hex') {
    const signature = signJsonRequest(key, url, d.body);
    headers['Content-Type'] = d.contentType ?? 'application/json';
    headers['X-SignalWire-Signature'] = signature;
    return { requestUrl: url, body: d.body, signature, headers };
  }
  // Form scheme: the stored body is a urlencoded parameter list, sent as the body (POST) or query (GET).
  const params = [...new URLSearchParams(d.body)];
  if (method === 'GET') {
    const requestUrl = d.body ? `${url}${url.includes('?') ? '&' : '?'}${d.body}` : url;
    const signature = signFormRequest(key, requestUrl, []);
    headers['X-SignalWire-Signature'] = signature;
    headers['X-Twilio-Signature'] = signature;
    return { requestUrl, body: null, signature, headers };
  }
  const signature = signFormRequest(key, url, params);
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  headers['X-SignalWire-Signature'] = signature;
  headers['X-Twilio-Signature'] = signature;
  return { requestUrl: url, body: d.body, signature, headers };
}

function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    if (err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `timeout (${code ?? err.name})`;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
