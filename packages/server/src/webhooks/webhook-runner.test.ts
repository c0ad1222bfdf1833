/**
 * The webhook runner's policies on in-memory SQLite with a scripted HTTP client (no socket): the
 * retry window and the optional attempt cap for status callbacks, the fixed attempts of cXML
 * fetches, the per-destination cap, the circuit breaker, and fairness between projects.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../bus/in-process-bus.js';
import { ManualClock, systemClock, type Clock } from '../domain/clock.js';
import { noopMetrics } from '../domain/ports/metrics.js';
import type { Store } from '../domain/ports/store.js';
import { StoreUnavailableError } from '../domain/ports/store/errors.js';
import type { NewWebhookDelivery, WebhookDeliveryRecord } from '../domain/webhooks.js';
import { openSqliteStore } from '../store/dialects/sqlite.js';
import { deliveryRow } from '../../test/helpers/records.js';
import type { WebhookHttpClient, WebhookRequest, WebhookResponse, WireSent } from './http-client.js';
import { SigningKeys } from './signing-keys.js';
import { MAX_ERROR_CHARS } from './failure-log.js';
import { DEFAULT_TIMEOUTS } from './timeouts.js';
import { WebhookRunner, type WebhookRunnerOptions } from './webhook-runner.js';
import { idempotencyToken } from './webhook-request.js';

const PROJECT = '44444444-4444-4444-8444-444444444444';
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** What the scripted receiver does with one request: answer with a status, or fail like a socket. */
type Script = (req: WebhookRequest) => Promise<number>;

interface Harness {
  readonly store: Store;
  readonly requests: WebhookRequest[];
  enqueue(...deliveries: Array<Partial<NewWebhookDelivery>>): Promise<void>;
  deliveries(): Promise<WebhookDeliveryRecord[]>;
}

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

async function start(script: Script, opts: Partial<WebhookRunnerOptions> = {}, clock: Clock = systemClock, wrap: (s: Store) => Store = (s) => s): Promise<Harness> {
  const store = wrap(await openSqliteStore({ file: ':memory:' }));
  const bus = new InProcessBus();
  const requests: WebhookRequest[] = [];
  const http = {
    async send(req: WebhookRequest): Promise<WebhookResponse & WireSent> {
      requests.push(req);
      const statusCode = await script(req);
      return { statusCode, contentType: null, body: '', truncated: false, requestUrl: req.url, signature: req.sign ? 'signed' : '' };
    },
    async close() {},
  } as unknown as WebhookHttpClient;
  const runner = new WebhookRunner(
    { store, clock, bus, http, keys: new SigningKeys(store.projects, clock, bus), metrics: noopMetrics, logger: quiet },
    {
      nodeId: 'test',
      concurrency: 8,
      leaseMs: 30_000,
      retryBaseMs: 5,
      retryMaxMs: 20,
      retryWindowMs: 3_600_000,
      maxAttempts: null,
      perDestination: 8,
      breaker: { failures: 1000, cooldownMs: 60_000 },
      timeouts: DEFAULT_TIMEOUTS,
      userAgent: 'test',
      ...opts,
    },
  );
  await runner.start(true);
  running.push(async () => {
    await runner.stop();
    await store.close();
  });
  return {
    store,
    requests,
    async enqueue(...deliveries) {
      await store.webhooks.enqueueMany(
        deliveries.map((d) => deliveryRow(d.projectId ?? PROJECT, { url: 'http://receiver.test/status', nextAttemptAt: clock.now(), ...d })),
      );
      runner.wake();
    },
    deliveries: () => store.webhooks.listForProject(PROJECT, {}, { limit: 200 }),
  };
}

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const refused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
const settled = (h: Harness, n: number) => until(async () => ((await h.deliveries()).filter((d) => d.status !== 'pending').length >= n ? h.deliveries() : undefined));

describe('WebhookRunner', () => {
  it('retries a status callback until its window closes, making the last attempt at the close', async () => {
    const h = await start(async () => 500, { retryWindowMs: 250 });
    await h.enqueue({});
    const [d] = await settled(h, 1);
    expect(d).toMatchObject({ status: 'failed', lastError: '11200: HTTP 500' });
    // Far more than the 6 attempts of old, and the last one no earlier than the window's end.
    expect(d!.attempts).toBeGreaterThan(6);
    const attempts = await h.store.webhooks.listAttempts(PROJECT, d!.id);
    expect(attempts.at(-1)!.at).toBeGreaterThanOrEqual(d!.retryFrom + 250);
  });

  it('sends one I-Twilio-Idempotency-Token per delivery, the same on every attempt of it', async () => {
    // The first attempt of each delivery fails: its retry (as its send again after a crash) must carry the same token.
    const tried = new Set<string>();
    const h = await start(async (req) => {
      const token = req.headers['I-Twilio-Idempotency-Token']!;
      if (tried.has(token)) return 200;
      tried.add(token);
      return 500;
    });
    await h.enqueue({}, {});
    await settled(h, 2);
    const tokens = h.requests.map((r) => r.headers['I-Twilio-Idempotency-Token']);
    expect(tokens).toHaveLength(4);
    expect(new Set(tokens).size).toBe(2);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await h.deliveries()).every((d) => d.status === 'delivered' && d.attempts === 2)).toBe(true);
  });

  it('keys the idempotency token with a server key: its receiver cannot find the delivery id (which counts every project) from it', async () => {
    const h = await start(async () => 200);
    await h.enqueue({});
    await settled(h, 1);
    const [d] = await h.deliveries();
    const token = h.requests[0]!.headers['I-Twilio-Idempotency-Token']!;
    // What a receiver knows (its project, the creation time to the second or so) and every id it could try.
    const plain = (id: number, at: number) => createHash('sha256').update(`${PROJECT}:${id}:${at}`).digest('hex').slice(0, 8);
    for (let id = 1; id <= 50; id++) for (let at = d!.createdAt - 5; at <= d!.createdAt + 5; at++) expect(token.startsWith(plain(id, at))).toBe(false);
    // The key is the server's, kept in server_keys: every node (and a restart) sends the same token.
    const key = Buffer.from(await h.store.serverKeys.getOrCreate('webhook-idempotency', 'unused', 0), 'base64');
    expect(token).toBe(idempotencyToken(key, d!));
  });

  it('sends what it claimed even when the lease is shorter than the request timeout', async () => {
    // Claimed deliveries wait in memory only while their lease lasts; a 1 s lease (below the 15 s
    // request timeout) must still leave room to send them.
    const h = await start(async () => 200, { leaseMs: 1000 });
    await h.enqueue(...Array.from({ length: 20 }, () => ({})));
    const done = await settled(h, 20);
    expect(done.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
  });

  it('records an answered attempt once storage is back, instead of sending it again when its lease ends', async () => {
    // The disk fills while a callback is in flight: the receiver answered, the bookkeeping cannot be
    // written. It used to be dropped ("retries when its lease expires"): the callback went out again
    // 30 s later and the message's next callbacks waited behind it meanwhile.
    let failing = false;
    const wrap = (s: Store): Store =>
      new Proxy(s, {
        get: (target, key, receiver) =>
          key === 'transaction' && failing ? () => Promise.reject(new StoreUnavailableError('storage failed: database or disk is full (SQLITE_FULL)')) : Reflect.get(target, key, receiver),
      });
    const h = await start(
      async () => {
        failing = true;
        setTimeout(() => (failing = false), 300);
        return 200;
      },
      {},
      systemClock,
      wrap,
    );
    await h.enqueue({});
    const [d] = await settled(h, 1);
    expect(d).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(h.requests).toHaveLength(1);
  });

  it('does not send a callback again that a claim took back while its request was under way (the node froze past its lease)', async () => {
    // A node frozen (SIGSTOP, a paused VM) past a request's lease claims that delivery again when it
    // wakes, before the answer is read; the destination being full, the copy waited in memory and
    // went out right after the first request settled it: a second copy of the callback, from one node.
    const clock = new ManualClock();
    let answer: ((code: number) => void) | undefined;
    const h = await start((req) => (req.url.startsWith('http://receiver.test/') && !answer ? new Promise<number>((r) => (answer = r)) : Promise.resolve(200)), { perDestination: 1 }, clock);
    await h.enqueue({});
    await until(async () => h.requests.length === 1);
    clock.advance(31_000);
    // The row is taken again: its lease ran out under the request.
    const first = async () => (await h.deliveries()).find((d) => d.url.startsWith('http://receiver.test/'))!;
    const before = (await first()).nextAttemptAt;
    await h.enqueue({ url: 'http://other.test/status' });
    await until(async () => h.requests.length === 2);
    await until(async () => ((await first()).nextAttemptAt !== before ? true : undefined));
    answer!(200);
    const done = await settled(h, 2);
    expect(done.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    expect(h.requests.filter((r) => r.url.startsWith('http://receiver.test/'))).toHaveLength(1);
  });

  it('sends a callback whose key reads storage refused once storage is back, instead of when its lease ends', async () => {
    // The pool is starved (a lock held elsewhere) as a callback is claimed: reading the key of its
    // idempotency token fails. It used to be dropped ("retries when its lease expires"): sent 30 s
    // later, its message's next callbacks waiting behind it.
    let failing = true;
    setTimeout(() => (failing = false), 300);
    const unavailable = () => Promise.reject(new StoreUnavailableError('database unavailable: timeout exceeded when trying to connect'));
    const wrap = (s: Store): Store =>
      new Proxy(s, {
        get: (target, key, receiver) => {
          const value: unknown = Reflect.get(target, key, receiver);
          if (key !== 'serverKeys') return value;
          return new Proxy(value as object, { get: (keys, method) => (method === 'getOrCreate' && failing ? unavailable : Reflect.get(keys, method)) });
        },
      });
    const h = await start(async () => 200, {}, systemClock, wrap);
    await h.enqueue({});
    const [d] = await settled(h, 1);
    expect(d).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(h.requests).toHaveLength(1);
  });

  it('gives a status callback up after webhooks.maxAttempts when set', async () => {
    const h = await start(async () => 503, { maxAttempts: 3 });
    await h.enqueue({}, { kind: 'status_callback', signature: 'form-base64', contentType: 'application/x-www-form-urlencoded', body: 'MessageStatus=queued' });
    const done = await settled(h, 2);
    expect(done.map((d) => [d.status, d.attempts])).toEqual([
      ['failed', 3],
      ['failed', 3],
    ]);
  });

  it('keeps at most MAX_ERROR_CHARS of a failure on the attempt and the delivery', async () => {
    // A receiver decides much of the failure text (a parser quoting its whole answer, a huge reason).
    const h = await start(async () => {
      throw new Error(`protocol violation: ${'<a>'.repeat(20_000)}`);
    });
    await h.enqueue({ kind: 'inbound_message', signature: 'form-base64', body: 'Body=hi', maxAttempts: 1 });
    const [d] = await settled(h, 1);
    expect(d!.status).toBe('failed');
    expect(d!.lastError!.length).toBeLessThan(MAX_ERROR_CHARS + 50);
    expect(d!.lastError).toMatch(/^11200: protocol violation: <a><a>.* … \(\d+ more characters\)$/);
    const [attempt] = await h.store.webhooks.listAttempts(PROJECT, d!.id);
    expect(attempt!.error).toBe(d!.lastError);
  });

  it('keeps cXML fetches to their attempts: the primary once, then the fallback once', async () => {
    const h = await start(async (req) => (req.url.includes('fallback') ? 200 : 503));
    const cxml = { kind: 'inbound_message' as const, signature: 'form-base64' as const, body: 'Body=hi', url: 'http://primary.test/sms', fallbackMethod: 'POST' as const };
    await h.enqueue({ ...cxml, fallbackUrl: 'http://fallback.test/sms', maxAttempts: 2 }, { ...cxml, maxAttempts: 1 });
    const done = await settled(h, 2);
    expect(done.map((d) => [d.fallbackUrl !== null, d.status, d.attempts]).sort()).toEqual([
      [false, 'failed', 1],
      [true, 'delivered', 2],
    ]);
    expect(h.requests.map((r) => r.url).sort()).toEqual(['http://fallback.test/sms', 'http://primary.test/sms', 'http://primary.test/sms']);
  });

  it('sends at most perDestination requests to one destination while the others flow', async () => {
    const release: Array<() => void> = [];
    let open = 0;
    let most = 0;
    const h = await start(
      (req) => {
        if (!req.url.startsWith('http://hanging.test')) return Promise.resolve(200);
        most = Math.max(most, ++open);
        return new Promise((resolve) => release.push(() => (open--, resolve(200))));
      },
      { concurrency: 4, perDestination: 2 },
    );
    await h.enqueue(...Array.from({ length: 6 }, () => ({ url: 'http://hanging.test/cb' })));
    await until(async () => open === 2);
    await h.enqueue(...Array.from({ length: 10 }, () => ({ url: 'http://healthy.test/cb' })));
    await until(async () => (await h.deliveries()).filter((d) => d.status === 'delivered').length === 10);
    expect(open).toBe(2);
    // Released until every one is delivered: one claimed after the others were released would hang for ever.
    await until(async () => {
      release.splice(0).forEach((r) => r());
      return (await h.deliveries()).every((d) => d.status === 'delivered');
    });
    expect(most).toBe(2);
  });

  it('looks past a saturated destination less and less often while nothing waits behind it, and still finds what comes', async () => {
    // A receiver that does not answer holds its share; more keeps coming for it, and each delivery
    // wakes the runner to claim: every 100 ms one of those claims would read past its backlog.
    const release: Array<() => void> = [];
    const h = await start((req) => (req.url.startsWith('http://hanging.test') ? new Promise((resolve) => release.push(() => resolve(200))) : Promise.resolve(200)), { concurrency: 8, perDestination: 1 });
    const lookedPast: number[] = [];
    const webhooks = h.store.webhooks as { claimDue: Store['webhooks']['claimDue'] };
    const claim = webhooks.claimDue.bind(webhooks);
    webhooks.claimDue = (now, limit, leaseMs, owner, limits) => {
      if (limits?.lookPastFull) lookedPast.push(now);
      return claim(now, limit, leaseMs, owner, limits);
    };
    await h.enqueue(...Array.from({ length: 30 }, () => ({ url: 'http://hanging.test/cb' })));
    for (let i = 0; i < 65; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await h.enqueue({ url: 'http://hanging.test/cb' });
    }
    // Doubling from 100 ms: about four reads in those 1.3 s instead of a dozen.
    expect(lookedPast.length).toBeGreaterThanOrEqual(2);
    expect(lookedPast.length).toBeLessThanOrEqual(7);
    await h.enqueue({ url: 'http://healthy.test/cb' });
    await until(async () => (await h.deliveries()).some((d) => d.url === 'http://healthy.test/cb' && d.status === 'delivered'));
    while (release.length) {
      release.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it('pauses a destination that stops answering, deferring its deliveries without counting attempts', async () => {
    const h = await start((req) => (req.url.startsWith('http://down.test') ? refused() : Promise.resolve(200)), { breaker: { failures: 3, cooldownMs: 600_000 }, perDestination: 1 });
    await h.enqueue(...Array.from({ length: 5 }, () => ({ url: 'http://down.test/cb' })));
    await until(async () => (await h.deliveries()).every((d) => d.nextAttemptAt > Date.now() + 60_000));
    const toDown = () => h.requests.filter((r) => r.url.startsWith('http://down.test')).length;
    expect(toDown()).toBe(3);
    await h.enqueue(...Array.from({ length: 5 }, () => ({ url: 'http://up.test/cb' })));
    await until(async () => (await h.deliveries()).filter((d) => d.status === 'delivered').length === 5);
    expect(toDown()).toBe(3);
    const down = (await h.deliveries()).filter((d) => d.url.startsWith('http://down.test'));
    expect(down.every((d) => d.status === 'pending')).toBe(true);
    expect(down.reduce((n, d) => n + d.attempts, 0)).toBe(3);
  });

  it("sends a message's next callback, handed on while its destination is paused, when the pause ends with nothing else to wake the runner", async () => {
    // Found by a fault campaign: a receiver that refuses connections, a callback given up (its
    // window closed, or maxAttempts) by the attempt that paused the destination. The next callback
    // of its message comes back leased and waits in memory for the pause; the runner's wake-up at
    // the pause's end was lost to an earlier one (looking past the full destination), so on a
    // quiet node it waited for good: 40 s with a 5 s cool-down, still pending.
    const h = await start(refused, { maxAttempts: 4, breaker: { failures: 2, cooldownMs: 200 }, perDestination: 1 });
    const messageId = '01a251a3-0000-7000-8000-000000000001';
    await h.enqueue(...['queued', 'sent', 'delivered'].map((status) => ({ messageId, url: 'http://down.test/cb', body: `{"status":"${status}"}` })));
    const done = await settled(h, 3);
    expect(done.map((d) => [d.body, d.status, d.attempts]).sort()).toEqual([
      ['{"status":"delivered"}', 'failed', 4],
      ['{"status":"queued"}', 'failed', 4],
      ['{"status":"sent"}', 'failed', 4],
    ]);
  });

  it("retries another destination's callback when due while a callback waits in memory for a paused destination", async () => {
    // The runner keeps one wake-up time and, with deliveries waiting in memory, did not look up the next due one: up.test's retry, 300 ms away, waited for down.test's 4 s pause.
    let upFailed = false;
    const h = await start(
      async (req) => {
        if (req.url.startsWith('http://down.test')) return refused();
        if (upFailed) return 200;
        upFailed = true;
        return refused();
      },
      { maxAttempts: 2, breaker: { failures: 2, cooldownMs: 4000 }, perDestination: 1, retryBaseMs: 300, retryMaxMs: 300 },
    );
    const messageId = '01a251a3-0000-7000-8000-000000000002';
    await h.enqueue(...['queued', 'sent'].map((status) => ({ messageId, url: 'http://down.test/cb', body: `{"status":"${status}"}` })));
    await until(async () => (await h.deliveries()).some((d) => d.status === 'failed'));
    await h.enqueue({ url: 'http://up.test/cb' });
    await until(async () => (await h.deliveries()).find((d) => d.url === 'http://up.test/cb')?.status === 'delivered', 3000);
    expect((await h.deliveries()).find((d) => d.body === '{"status":"sent"}')?.attempts).toBe(0);
  });

  it('lets one probe through after the cool-down and, when it answers, sends what waited for the destination at once', async () => {
    let up = false;
    let open = 0;
    const concurrency: number[] = [];
    const h = await start(
      async (req) => {
        if (!req.url.startsWith('http://flaky.test')) return 200;
        if (!up) return refused();
        concurrency.push(++open);
        await new Promise((r) => setTimeout(r, 20));
        open--;
        return 200;
      },
      // Retries a minute apart: only resuming the destination brings them back within the test.
      { breaker: { failures: 2, cooldownMs: 100 }, perDestination: 4, retryBaseMs: 60_000, retryMaxMs: 60_000 },
    );
    await h.enqueue(...Array.from({ length: 6 }, () => ({ url: 'http://flaky.test/cb' })));
    // The first four are refused together; the second refusal opened the breaker.
    await until(async () => (await h.deliveries()).filter((d) => d.attempts === 1).length === 4);
    up = true;
    await until(async () => (await h.deliveries()).every((d) => d.status === 'delivered'));
    // One probe alone, then the destination's whole room again, long before the minute's retries.
    expect(concurrency[0]).toBe(1);
    expect(Math.max(...concurrency)).toBeGreaterThan(1);
  });

  it('keeps part of the pool for other projects while one project’s receivers on many hosts all hang', async () => {
    // One project's callbacks go to 50 receivers (one slot each) that answer only at the end: with
    // the whole pool theirs, another project's callback would wait a request timeout per wave.
    const held: Array<() => void> = [];
    const h = await start((req) => (req.url.startsWith('http://b.test') ? Promise.resolve(200) : new Promise((resolve) => held.push(() => resolve(200)))), { concurrency: 8, perDestination: 1 });
    try {
      await h.enqueue(...Array.from({ length: 50 }, (_, i) => ({ url: `http://a${i}.test/cb` })));
      await until(async () => held.length >= 7);
      await h.enqueue({ projectId: '55555555-5555-4555-8555-555555555555', url: 'http://b.test/cb' });
      await until(async () => h.requests.some((r) => r.url.startsWith('http://b.test')));
      // The hanging project kept to the pool less one destination's share.
      expect(held).toHaveLength(7);
    } finally {
      while (held.length) {
        held.splice(0).forEach((answer) => answer());
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });

  it('keeps part of the pool for a third project while two projects’ receivers on many hosts all hang', async () => {
    // Each hanging project alone keeps within its cap (the pool less one destination's share), but
    // together they filled the pool: a third project's callback waited a request timeout per wave.
    const held: Array<() => void> = [];
    const h = await start((req) => (req.url.startsWith('http://b.test') ? Promise.resolve(200) : new Promise((resolve) => held.push(() => resolve(200)))), { concurrency: 8, perDestination: 2 });
    const c = '66666666-6666-4666-8666-666666666666';
    try {
      await h.enqueue(...Array.from({ length: 50 }, (_, i) => ({ url: `http://a${i}.test/cb` })));
      await until(async () => held.length >= 6);
      await h.enqueue(...Array.from({ length: 50 }, (_, i) => ({ projectId: c, url: `http://c${i}.test/cb` })));
      await until(async () => held.length >= 7);
      await h.enqueue({ projectId: '55555555-5555-4555-8555-555555555555', url: 'http://b.test/cb' });
      await until(async () => h.requests.some((r) => r.url.startsWith('http://b.test')));
      // The hanging projects together kept to the first one's cap, and one more of the newcomer's.
      expect(held).toHaveLength(7);
    } finally {
      while (held.length) {
        held.splice(0).forEach((answer) => answer());
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });

  it('gives a project its cap of the pool again once another project’s waiting callbacks were all sent', async () => {
    // The gate counts each project's waiting deliveries as the runner's buffer changes: one left
    // counted after it was sent would hold every other project to an equal share (4 of 8) for good.
    const held: Array<() => void> = [];
    const h = await start((req) => (req.url.startsWith('http://b.test') ? Promise.resolve(200) : new Promise((resolve) => held.push(() => resolve(200)))), { concurrency: 8, perDestination: 1 });
    const b = '55555555-5555-4555-8555-555555555555';
    try {
      await h.enqueue(...Array.from({ length: 5 }, () => ({ projectId: b, url: 'http://b.test/cb' })));
      await until(async () => (await h.store.webhooks.countByStatus(b, 1000)).counts.delivered === 5);
      await h.enqueue(...Array.from({ length: 50 }, (_, i) => ({ url: `http://a${i}.test/cb` })));
      await until(async () => held.length >= 7);
      expect(held).toHaveLength(7);
    } finally {
      while (held.length) {
        held.splice(0).forEach((answer) => answer());
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });

  it('claims another project’s callback for the slot a busy project leaves idle, when the busy one comes first from the cursor', async () => {
    // Project A holds its cap of the pool (7 of 8) on hanging receivers with more of its callbacks
    // waiting in memory, so the runner claims only for the idle slot: a limit of 1, A left out.
    // Project C's callback took that slot, leaving the round-robin cursor at C; from there A comes
    // before B. The scan for due projects gave its one place to A before A was left out, so every
    // claim came back empty and B's callback waited for A's receivers. The clock stands still but
    // to pass the interval after which claims scan for projects again.
    const clock = new ManualClock();
    const [b, c] = ['55555555-5555-4555-8555-555555555555', '66666666-6666-4666-8666-666666666666'];
    const held: Array<() => void> = [];
    const h = await start((req) => (/^http:\/\/[bc]\.test/.test(req.url) ? Promise.resolve(200) : new Promise((resolve) => held.push(() => resolve(200)))), { concurrency: 8, perDestination: 1 }, clock);
    const sentTo = (host: string) => h.requests.some((r) => r.url.startsWith(`http://${host}/`));
    try {
      await h.enqueue(...Array.from({ length: 50 }, (_, i) => ({ url: `http://a${i}.test/cb` })));
      // 7 in flight and twice the pool waiting in memory: all leased.
      await until(async () => held.length >= 7 && (await h.deliveries()).filter((d) => d.nextAttemptAt > clock.now()).length >= 23);
      await h.enqueue({ projectId: c, url: 'http://c.test/cb' });
      await until(async () => sentTo('c.test'));
      clock.advance(1_000);
      await h.enqueue({ projectId: b, url: 'http://b.test/cb' });
      await until(async () => sentTo('b.test'));
      expect(held).toHaveLength(7);
    } finally {
      while (held.length) {
        held.splice(0).forEach((answer) => answer());
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });

  it('sends another project’s callback early when one project’s backlog, due before it, is spread over many hosts', async () => {
    // Project A's 200 callbacks go to 200 receivers (a cap each) that answer only when the test
    // lets them; project B's one callback became due after all of them. The clock stands still.
    const clock = new ManualClock();
    const held: Array<() => void> = [];
    const h = await start((req) => (req.url.startsWith('http://b.test') ? Promise.resolve(200) : new Promise((resolve) => held.push(() => resolve(200)))), { concurrency: 4, perDestination: 1 }, clock);
    const other = '55555555-5555-4555-8555-555555555555';
    await h.enqueue(...Array.from({ length: 200 }, (_, i) => ({ url: `http://a${i}.test/cb`, nextAttemptAt: clock.now() - 1000 + i })));
    await h.enqueue({ projectId: other, url: 'http://b.test/cb' });
    const sentToB = () => h.requests.findIndex((r) => r.url.startsWith('http://b.test'));
    for (let round = 0; round < 100 && sentToB() < 0; round++) {
      await until(async () => held.length > 0 || sentToB() >= 0);
      held.splice(0).forEach((answer) => answer());
      await new Promise((r) => setTimeout(r, 5));
    }
    // A's requests before B's: at most what the runner held when B became due and one claim's share.
    expect(sentToB()).toBeGreaterThanOrEqual(0);
    expect(sentToB()).toBeLessThanOrEqual(8);
    while (held.length) {
      held.splice(0).forEach((answer) => answer());
      await new Promise((r) => setTimeout(r, 5));
    }
  });
});
