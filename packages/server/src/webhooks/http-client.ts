/**
 * Sends webhook requests with connect/read/total timeouts, following up to 3 redirects and
 * reading at most `maxResponseBytes` of the answer; the work runs on a worker thread.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { PRIVATE_NETWORKS } from '../domain/urls.js';
import { HTTP_WORKER_SOURCE } from './http-worker-source.js';
import { wireOf, type WireSigning } from './signing.js';
import type { WebhookTimeouts } from './timeouts.js';

export interface WebhookRequest {
  /** The project sending it: host name lookups are shared fairly between projects (lookup-slots.ts). */
  readonly project: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body: string | null;
  readonly timeouts: WebhookTimeouts;
  /**
   * Send the wire form of a delivery (`wireOf`, signing.ts), built and signed by the worker:
   * `url` and `body` are then the delivery's (the configured URL, the stored body), and `headers`
   * are added to the wire form's.
   */
  readonly sign?: WireSigning;
}

/** What went on the wire, known whether or not the exchange succeeded: the URL requested and its signature ('' unsigned). */
export interface WireSent {
  readonly requestUrl: string;
  readonly signature: string;
}

export interface WebhookResponse {
  readonly statusCode: number;
  readonly contentType: string | null;
  readonly body: string;
  /** True when the body was longer than allowed and was cut. */
  readonly truncated: boolean;
}

/** An answer from the worker: the response, or the error the request failed with. */
type WorkerAnswer =
  | { readonly id: number; readonly ok: true; readonly response: WebhookResponse & WireSent }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly code?: string; readonly message: string; readonly sent: WireSent };

/**
 * Sends webhook requests from a worker thread (`http-worker-source.ts`): undici's connection
 * pools, HTTP parsing and response reading run off the thread that owns the database, which the
 * Compatibility path's four status callbacks per message kept busy. The worker starts with the
 * first request. An answer carries what was sent (`WireSent`); a request that fails rejects with an
 * `Error` carrying the original's name, code and message (what the runner reports) and, as `sent`,
 * what was sent; should the worker die, its requests in flight reject and the next request starts a
 * new one.
 */
export class WebhookHttpClient {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { req: WebhookRequest; resolve(r: WebhookResponse & WireSent): void; reject(err: Error): void }>();
  private nextId = 1;
  /** Requests of this turn of the event loop, posted together. */
  private outbox: Array<WebhookRequest & { readonly id: number }> = [];
  private closed = false;

  constructor(
    private readonly opts: {
      readonly maxResponseBytes?: number;
      /** Refuse connections to these networks (`webhooks.refusePrivateNetworks`): checked on the resolved address. */
      readonly refuseNetworks?: typeof PRIVATE_NETWORKS | null;
    } = {},
  ) {}

  send(req: WebhookRequest): Promise<WebhookResponse & WireSent> {
    if (this.closed) return Promise.reject(new Error('the webhook HTTP client was closed'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { req, resolve, reject });
      this.outbox.push({ id, project: req.project, url: req.url, method: req.method, headers: req.headers, body: req.body, timeouts: req.timeouts, sign: req.sign });
      if (this.outbox.length === 1) queueMicrotask(() => this.flush());
    });
  }

  /**
   * Close the worker's connection pools (requests in flight finish first) and end it; requests not
   * yet handed to it reject.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.outbox = [];
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      await new Promise<void>((done) => {
        const force = setTimeout(() => void worker.terminate(), 5_000);
        force.unref();
        worker.once('exit', () => {
          clearTimeout(force);
          done();
        });
        worker.postMessage('close');
      });
    }
    this.failAll(new Error('the webhook HTTP client was closed'));
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length) this.started().postMessage(batch);
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const undici = createRequire(import.meta.url).resolve('undici');
    const worker = new Worker(HTTP_WORKER_SOURCE, { eval: true, workerData: { undici, maxResponseBytes: this.opts.maxResponseBytes ?? 64 * 1024, privateNetworks: this.opts.refuseNetworks ?? null } });
    // Requests in flight do not keep the process alive; the server's own handles do.
    worker.unref();
    worker.on('message', (answers: WorkerAnswer[]) => {
      for (const a of answers) {
        const p = this.pending.get(a.id);
        if (!p) continue;
        this.pending.delete(a.id);
        if (a.ok) p.resolve(a.response);
        else p.reject(Object.assign(new Error(a.message), { name: a.name, code: a.code, sent: a.sent }));
      }
    });
    // An end it was not asked for (`close` fails what is left itself).
    const ended = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(err);
    };
    worker.on('error', (err) => ended(err));
    worker.on('exit', (code) => ended(new Error(`the webhook HTTP worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /**
   * Fail the requests left (the worker died, or the client closed): each error says, as `sent`, what
   * the worker sent or would have sent for it (the wire form built here: a rare path), so the attempt
   * records the same URL and signature as had the worker answered.
   */
  private failAll(err: Error): void {
    for (const { req, reject } of this.pending.values()) reject(Object.assign(new Error(err.message), { name: err.name, sent: sentOf(req) }));
    this.pending.clear();
  }
}

/** What the worker sends for a request (`wireOf`, as it does): the URL and its signature. */
function sentOf(req: WebhookRequest): WireSent {
  try {
    const { requestUrl, signature } = wireOf(req);
    return { requestUrl, signature };
  } catch {
    return { requestUrl: req.url, signature: '' };
  }
}
