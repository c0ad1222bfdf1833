import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookHttpClient } from './http-client.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A receiver that answers `/fast` at once and leaves every other request open. */
async function receiver(): Promise<string> {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/fast') res.writeHead(204).end();
    else open.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('WebhookHttpClient total timeout', () => {
  it('aborts a request still open at its total timeout with a TimeoutError, and not one that ended', async () => {
    const base = await receiver();
    const client = new WebhookHttpClient();
    cleanups.push(() => client.close());
    const timeouts = { connectMs: 1000, readMs: 10_000, totalMs: 300 };
    const fast = await client.send({ url: `${base}/fast`, method: 'POST', headers: {}, body: 'a=b', timeouts });
    expect(fast.statusCode).toBe(204);
    const started = Date.now();
    const err = await client.send({ url: `${base}/hang`, method: 'POST', headers: {}, body: 'a=b', timeouts }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect((err as Error).name).toBe('TimeoutError');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });
});
