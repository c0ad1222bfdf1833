/** A local HTTP server that records every request it gets (raw body included) and answers as told. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawBody: string;
  readonly json?: any;
  readonly form?: URLSearchParams;
  readonly at: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decide the answer per request (default 200 with an empty body). */
  respond(handler: (req: ReceivedRequest) => { status: number; body?: string | Buffer; headers?: Record<string, string>; delayMs?: number }): void;
  waitFor(count: number, timeoutMs?: number, filter?: (r: ReceivedRequest) => boolean): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** `host` and `port` default to 127.0.0.1 and a free port (given, a receiver can come back where it was). */
export async function startWebhookReceiver(opts: { host?: string; port?: number } = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let handler: Parameters<WebhookReceiver['respond']>[0] = () => ({ status: 200 });
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const ct = req.headers['content-type'] ?? '';
      const record: ReceivedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: (req.url ?? '/').split('?')[0]!,
        headers: req.headers,
        rawBody,
        ...(ct.includes('json') && rawBody ? { json: JSON.parse(rawBody) } : {}),
        ...(ct.includes('x-www-form-urlencoded') ? { form: new URLSearchParams(rawBody) } : {}),
        at: Date.now(),
      };
      requests.push(record);
      const answer = handler(record);
      const send = () => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
        for (const w of waiters.splice(0)) w();
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    respond(h) {
      handler = h;
    },
    async waitFor(count, timeoutMs = 10_000, filter = () => true) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = requests.filter(filter);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`webhook receiver got ${matching.length} of ${count} expected requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
