/**
 * Sends one webhook request with connect/read/total timeouts, following up to 3 redirects and
 * reading at most `maxResponseBytes` of the answer.
 */
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import type { WebhookTimeouts } from './timeouts.js';

export interface WebhookRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body: string | null;
  readonly timeouts: WebhookTimeouts;
}

export interface WebhookResponse {
  readonly statusCode: number;
  readonly contentType: string | null;
  readonly body: string;
  /** True when the body was longer than allowed and was cut. */
  readonly truncated: boolean;
}

/** Deadlines of requests in flight are checked this often: a total timeout fires up to this late, never early. */
const DEADLINE_RESOLUTION_MS = 25;

/**
 * Total timeouts of requests in flight on one timer: deadlines rounded up to a bucket of
 * `DEADLINE_RESOLUTION_MS`, one timer for the earliest bucket. Cheaper than `AbortSignal.timeout`
 * (a timer and weak references per request) when thousands of requests a second end long before
 * their deadline.
 */
class Deadlines {
  private readonly buckets = new Map<number, Set<AbortController>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** Abort `controller` with a TimeoutError once `ms` have passed, unless the returned function is called first. */
  add(controller: AbortController, ms: number): () => void {
    const at = Math.ceil((Date.now() + ms) / DEADLINE_RESOLUTION_MS) * DEADLINE_RESOLUTION_MS;
    let bucket = this.buckets.get(at);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(at, bucket);
      if (at < this.timerAt) this.arm(at);
    }
    bucket.add(controller);
    return () => {
      bucket.delete(controller);
      if (bucket.size === 0 && this.buckets.get(at) === bucket) this.buckets.delete(at);
    };
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [at, bucket] of this.buckets) {
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.buckets.delete(at);
      for (const controller of bucket) controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }
    if (next !== Infinity) this.arm(next);
  }
}

export class WebhookHttpClient {
  private readonly agents = new Map<string, Dispatcher>();
  private readonly deadlines = new Deadlines();

  constructor(private readonly maxResponseBytes = 64 * 1024) {}

  async send(req: WebhookRequest): Promise<WebhookResponse> {
    const controller = new AbortController();
    const cancel = this.deadlines.add(controller, req.timeouts.totalMs);
    try {
      return await this.exchange(req, controller.signal);
    } finally {
      cancel();
    }
  }

  private async exchange(req: WebhookRequest, signal: AbortSignal): Promise<WebhookResponse> {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: this.agentFor(req.timeouts),
      signal,
      headersTimeout: req.timeouts.readMs,
      bodyTimeout: req.timeouts.readMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      if (size + buf.length > this.maxResponseBytes) {
        chunks.push(buf.subarray(0, this.maxResponseBytes - size));
        truncated = true;
        res.body.destroy();
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
    const ct = res.headers['content-type'];
    return { statusCode: res.statusCode, contentType: Array.isArray(ct) ? (ct[0] ?? null) : (ct ?? null), body: Buffer.concat(chunks).toString('utf8'), truncated };
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }

  private agentFor(t: WebhookTimeouts): Dispatcher {
    const key = `${t.connectMs}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ connect: { timeout: t.connectMs }, connections: 64, keepAliveTimeout: 4000 }).compose(interceptors.redirect({ maxRedirections: 3 }));
      this.agents.set(key, agent);
    }
    return agent;
  }
}
