import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PRIVATE_NETWORKS } from '../domain/urls.js';
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
    const fast = await client.send({ project: 'p', url: `${base}/fast`, method: 'POST', headers: {}, body: 'a=b', timeouts });
    expect(fast.statusCode).toBe(204);
    const started = Date.now();
    const err = await client.send({ project: 'p', url: `${base}/hang`, method: 'POST', headers: {}, body: 'a=b', timeouts }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect((err as Error).name).toBe('TimeoutError');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });
});

describe('WebhookHttpClient with private networks refused', () => {
  it('refuses to connect to a private address, named or literal, and connects when not asked to refuse', async () => {
    const base = await receiver();
    let connections = 0;
    const port = new URL(base).port;
    const timeouts = { connectMs: 1000, readMs: 2000, totalMs: 3000 };
    const guarded = new WebhookHttpClient({ refuseNetworks: PRIVATE_NETWORKS });
    cleanups.push(() => guarded.close());
    for (const url of [`${base}/fast`, `http://localhost:${port}/fast`, `http://[::ffff:127.0.0.1]:${port}/fast`]) {
      const err = await guarded.send({ project: 'p', url, method: 'POST', headers: {}, body: 'a=b', timeouts }).then(
        () => connections++,
        (e: unknown) => e,
      );
      expect(err, url).toBeInstanceOf(Error);
      expect((err as Error & { code?: string }).code, url).toBe('ERR_PRIVATE_ADDRESS');
    }
    expect(connections).toBe(0);
    const open = new WebhookHttpClient();
    cleanups.push(() => open.close());
    expect((await open.send({ project: 'p', url: `${base}/fast`, method: 'POST', headers: {}, body: 'a=b', timeouts })).statusCode).toBe(204);
    // A name is looked up through the worker's bounded lookups (lookup-slots.ts), twice from its cache.
    for (let i = 0; i < 3; i++) expect((await open.send({ project: 'p', url: `http://localhost:${port}/fast`, method: 'POST', headers: { connection: 'close' }, body: 'a=b', timeouts })).statusCode).toBe(204);
  });
});
