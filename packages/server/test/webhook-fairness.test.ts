/**
 * One receiver that never answers cannot delay others (issue 12, item 2): with a pool of 4 and a
 * cap of 2 per destination, a receiver holding every request open gets 2 of them, and another
 * project's callbacks to a healthy receiver all arrive while those 2 are still open. Before the
 * cap, the hanging receiver took the whole pool for its 15 s timeout.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createProject } from './helpers/projects.js';
import { NUMBERS, startTestServer } from './helpers/server.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A receiver that reads each request and never answers; it counts what is open and what ended. */
async function startHangingReceiver() {
  const open = new Set<ServerResponse>();
  let received = 0;
  let most = 0;
  let ended = 0;
  const server = createServer((req, res) => {
    req.resume();
    received++;
    open.add(res);
    most = Math.max(most, open.size);
    res.on('close', () => {
      open.delete(res);
      ended++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => ({ open: open.size, received, most, ended }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A server with this webhook pool and per-destination share, a hanging receiver holding its share
 * (six messages whose callbacks wait 15 s for an answer), then `healthyMessages` messages whose
 * callbacks go to a healthy receiver on another address: resolves with every callback the healthy
 * receiver got, checked four per message in order, and the hanging receiver's counts.
 */
async function hangingNextToHealthy(pool: { webhookConcurrency: number; webhookPerHostConcurrency: number }, healthyMessages: number) {
  const server = await startTestServer(pool);
  const hanging = await startHangingReceiver();
  const healthy = await startWebhookReceiver({ host: '127.0.0.2' });
  // The hanging receiver goes first so the server stops before waiting on its requests.
  cleanups.push(hanging.close, () => server.stop(), healthy.close);

  // Requests to the hanging receiver may wait 15 s for an answer (the URL fragment's timeouts).
  for (let i = 0; i < 6; i++) {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+1555768${String(5000 + i)}`, body: `hang ${i}`, status_callback: `${hanging.url}/cb#rt=15000&tt=15000` } });
    expect(sent.status).toBe(201);
  }
  await expect.poll(() => hanging.stats().open, { timeout: 10_000 }).toBeGreaterThanOrEqual(pool.webhookPerHostConcurrency);

  const ids: string[] = [];
  for (let i = 0; i < healthyMessages; i++) {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[1], to: `+1555769${String(5000 + i)}`, body: `healthy ${i}`, status_callback: `${healthy.url}/cb` } });
    ids.push(sent.body.id);
  }
  const got = await healthy.waitFor(4 * healthyMessages, 10_000);
  for (const id of ids) expect(got.filter((r) => r.json?.id === id).map((r) => r.json.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
  return hanging.stats();
}

describe('webhook fairness between destinations', () => {
  it('delivers a healthy receiver’s callbacks while a hanging one holds only its share of the pool', async () => {
    const hanging = await hangingNextToHealthy({ webhookConcurrency: 4, webhookPerHostConcurrency: 2 }, 5);
    // All of that while the hanging receiver still held its first requests, and never more than its cap.
    expect(hanging).toEqual({ open: 2, received: 2, most: 2, ended: 0 });
  });

  it('keeps a hanging receiver at its share while a fast one is given more of the pool', async () => {
    // Pool 8, share 2: a destination answering fast may grow to 4; the hanging one never does.
    const hanging = await hangingNextToHealthy({ webhookConcurrency: 8, webhookPerHostConcurrency: 2 }, 12);
    expect(hanging).toEqual({ open: 2, received: 2, most: 2, ended: 0 });
  });
});

describe('webhook destinations are per project', () => {
  it("does not let another project's failures to a receiver pause a project's callbacks to it, nor take its share", async () => {
    // Two failures without an answer pause a destination for a minute: longer than the test waits.
    const server = await startTestServer({ webhookBreakerFailures: 2, webhookBreakerCooldownMs: 60_000, webhookConcurrency: 8, webhookPerHostConcurrency: 2 });
    const receiver = await startWebhookReceiver();
    cleanups.push(() => server.stop(), receiver.close);
    // The receiver answers everyone, in 300 ms; a tenant that asks for 100 ms timeouts (the URL
    // fragment is the sender's to choose) gets no answer, which counts against the breaker.
    receiver.respond(() => ({ status: 200, delayMs: 300 }));
    const b = await createProject(server, { name: 'Breaker tripper', number: '+15557689001' });
    const tripped: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = await server.api('/api/messaging/messages', { auth: b.auth, body: { from: '+15557689001', to: `+1555768${String(9100 + i)}`, body: `trip ${i}`, status_callback: `${receiver.url}/b#rt=100&tt=100` } });
      expect(sent.status, sent.text).toBe(201);
      tripped.push(sent.body.id);
    }
    // B's attempts have failed often enough to open a breaker.
    await expect
      .poll(async () => {
        let failed = 0;
        for (const id of tripped) for (const d of await server.store.webhooks.listForMessage(b.projectId, id)) failed += d.lastError !== null ? 1 : 0;
        return failed;
      }, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);

    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557689200', body: 'mine', status_callback: `${receiver.url}/a` } });
    expect(sent.status, sent.text).toBe(201);
    await expect
      .poll(() => receiver.requests.filter((r) => r.url.startsWith('/a') && r.json?.id === sent.body.id).map((r) => r.json.status), { timeout: 10_000 })
      .toEqual(['queued', 'initiated', 'sent', 'delivered']);
  });
});
