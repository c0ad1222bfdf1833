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

export class WebhookHttpClient {
  private readonly agents = new Map<string, Dispatcher>();

  constructor(private readonly maxResponseBytes = 64 * 1024) {}

  async send(req: WebhookRequest): Promise<WebhookResponse> {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: this.agentFor(req.timeouts),
      signal: AbortSignal.timeout(req.timeouts.totalMs),
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
