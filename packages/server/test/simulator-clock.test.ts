/**
 * The simulator clock (`simulator.clock: "manual"`): time stands still until
 * `POST /api/simulator/clock/advance` moves it, and everything timed follows — a delayed receipt,
 * a simulator delay, a scheduled send, validity expiry, receipt reconciliation, a status
 * callback's retry window. Nothing
 * here sleeps: the tests move the clock and wait only for the work it made due.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runBuiltCli, serverIsBuilt } from './helpers/built-server.js';
import { waitForEnd } from './helpers/messages.js';
import { createProject } from './helpers/projects.js';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const CLOCK = '/api/simulator/clock';
const ADVANCE = '/api/simulator/clock/advance';
const MINUTE = 60_000;

describe('on the wall clock', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 409 to reading or moving the clock, naming the setting', async () => {
    for (const res of [await server.api(CLOCK), await server.api(ADVANCE, { body: { ms: 1000 } })]) {
      expect(res.status, res.text).toBe(409);
      expect(res.body).toEqual({ error: 'Conflict', message: expect.stringContaining('SWITCHBOARD_SIMULATOR_CLOCK=manual (config simulator.clock: "manual")') });
    }
  });
});

describe('on the manual clock', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;

  const now = async (): Promise<number> => Date.parse((await server.api(CLOCK)).body.now);
  const advance = async (ms: number) => {
    const res = await server.api(ADVANCE, { body: { ms } });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const status = async (id: string): Promise<string> => (await server.api(`/api/messaging/logs/${id}`)).body.status;
  const send = async (body: Record<string, unknown>) => {
    const res = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], body: 'clock', ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // Callbacks to a receiver that always fails; their retry window is an hour of the simulator's time.
    receiver.respond(() => ({ status: 500 }));
    // Retries as configured by default (1 s doubling to 5 min), not the test helper's 50-200 ms: the
    // clock stops at every attempt of the hour, so the helper's would be some 18,000 of them.
    server = await startTestServer({ simulatorClock: 'manual', webhookRetryWindowMs: 60 * MINUTE, webhookRetryBaseMs: 1000, webhookRetryMaxMs: 5 * MINUTE, webhookRefusePrivate: false });
    const rules = [
      { prefix: '+1555772', outcome: 'delayed' },
      { prefix: '+1555773', outcome: 'throttled', times: 100 },
      { prefix: '+1555775', outcome: 'no_receipt' },
    ];
    const put = await server.api('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 0, delayed_receipt_ms: 10 * MINUTE, rules } });
    expect(put.status, put.text).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('reads and moves the clock; refuses bad steps and tokens without the management scope', async () => {
    const read = await server.api(CLOCK);
    expect(read.body).toEqual({ now: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), mode: 'manual' });
    const before = Date.parse(read.body.now);
    expect(Date.parse((await advance(1500)).now)).toBe(before + 1500);
    expect(await now()).toBe(before + 1500);
    for (const ms of [-1, 1.5, '10', null]) {
      const res = await server.api(ADVANCE, { body: { ms } });
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: 'ms' });
    }
    // A field beside ms was ignored (the step taken, the rest dropped): refused, and the clock stays.
    for (const body of [{ ms: 1000, to: '2030-01-01T00:00:00Z' }, { now: '2030-01-01T00:00:00Z' }]) {
      const res = await server.api(ADVANCE, { body });
      expect(res.status, res.text).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: Object.keys(body).find((k) => k !== 'ms') });
      expect(res.body.errors[0].message).toMatch(/^Unknown field '(to|now)': the clock takes \{"ms": N\}/);
    }
    const messagingOnly = await createProject(server, { scopes: ['messaging'] });
    expect((await server.api(CLOCK, { auth: messagingOnly.auth })).status).toBe(200);
    expect((await server.api(ADVANCE, { auth: messagingOnly.auth, body: { ms: 1 } })).status).toBe(403);
    expect(await now()).toBe(before + 1500);
  });

  // The number and token caches timed their entries on the simulator clock: what the CLI (another
  // process, no bus message) added stayed unknown — "From must be registered", 401 — until the clock
  // was advanced past the caches' life. They are on the wall clock: a few seconds at most.
  it.skipIf(!serverIsBuilt)('sees a number and a token the CLI adds, though the clock stands still', async () => {
    const number = '+15551230031';
    const sendFrom = (auth?: string) => server.api('/api/messaging/messages', { body: { from: number, to: '+15557650031', body: 'new number' }, ...(auth ? { auth } : {}) });
    // Looked up once before it exists, so the directory holds "not registered".
    expect((await sendFrom()).status).toBe(422);
    const before = await now();
    const env = { PATH: process.env.PATH, HOME: server.dataDir, SWITCHBOARD_LOG_LEVEL: 'warn', ...(server.settings.databaseUrl ? { SWITCHBOARD_DATABASE_URL: server.settings.databaseUrl } : {}) };
    const cli = (args: string[]) => runBuiltCli([...args, '--data-dir', server.dataDir], { cwd: server.dataDir, env, timeoutMs: 60_000 });
    const added = await cli(['number', 'add', number, '--project', PROJECT_ID]);
    expect(added.code, added.stderr).toBe(0);
    const created = await cli(['token', 'create', '--project', PROJECT_ID, '--scopes', 'messaging']);
    expect(created.code, created.stderr).toBe(0);
    const token = /PT[A-Za-z0-9]+/.exec(created.stdout)![0];
    const auth = `Basic ${Buffer.from(`${PROJECT_ID}:${token}`).toString('base64')}`;
    const sent = await eventually(async () => {
      const res = await sendFrom(auth);
      return res.status === 201 ? res : undefined;
    }, 30_000, 'a send from the CLI-added number with the CLI-made token');
    expect(sent.body.from).toBe(number);
    expect(await now()).toBe(before);
  });

  it("lets only the operator move the clock: another project's management token would fire every project's schedules", async () => {
    const tenant = await createProject(server, { name: 'Clock tenant' });
    const before = await now();
    expect((await server.api(CLOCK, { auth: tenant.auth })).status).toBe(200);
    const res = await server.api(ADVANCE, { auth: tenant.auth, body: { ms: 366 * 24 * 60 * MINUTE } });
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toMatch(/operator project/);
    expect(await now()).toBe(before);
  });

  it('delivers a delayed-receipt message when the clock reaches its receipt, not before', async () => {
    const id = await send({ to: '+15557720001' });
    await eventually(async () => ((await status(id)) === 'sent' ? true : undefined), 10_000, 'sent');
    await advance(10 * MINUTE - 1);
    // Nothing is due yet: one more turn of the server changes nothing.
    await server.api(CLOCK);
    expect(await status(id)).toBe('sent');
    await advance(1);
    expect((await waitForEnd(server, id)).status).toBe('delivered');
  });

  it('holds every message for the simulator delay until the clock moves past it', async () => {
    await server.api('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 5000 } });
    try {
      const id = await send({ to: '+15557740001' });
      await eventually(async () => ((await status(id)) === 'initiated' ? true : undefined), 10_000, 'submitted');
      await advance(5000);
      await eventually(async () => ((await status(id)) === 'sent' ? true : undefined), 10_000, 'the carrier to answer');
      await advance(5000);
      expect((await waitForEnd(server, id)).status).toBe('delivered');
    } finally {
      await server.api('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 0 } });
    }
  });

  it('takes a message through every link due within one advance, each at its own time', async () => {
    await server.api('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 5000 } });
    try {
      const sendAt = (await now()) + 10 * MINUTE;
      const id = await send({ to: '+15557740004', send_at: new Date(sendAt).toISOString() });
      // One step past the send time, the carrier's answer 5 s later and the receipt 5 s after that.
      await advance(20 * MINUTE);
      expect((await waitForEnd(server, id)).status).toBe('delivered');
      const events = await server.store.events.listForMessage(PROJECT_ID, id);
      expect(events.map((e) => [e.status, e.at - sendAt])).toEqual([
        ['scheduled', -10 * MINUTE],
        ['queued', 0],
        ['initiated', 0],
        ['sent', 5000],
        ['delivered', 10_000],
      ]);
    } finally {
      await server.api('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 0 } });
    }
  });

  it('sends the scheduled messages due within one advance in their order, each at its own send time', async () => {
    const start = await now();
    const later = await send({ to: '+15557740006', send_at: new Date(start + 10 * MINUTE).toISOString() });
    const sooner = await send({ to: '+15557740007', send_at: new Date(start + 5 * MINUTE).toISOString() });
    await advance(30 * MINUTE);
    for (const id of [sooner, later]) expect((await waitForEnd(server, id)).status).toBe('delivered');
    const queuedAt = async (id: string) => (await server.store.events.listForMessage(PROJECT_ID, id)).find((e) => e.status === 'queued')!.at - start;
    expect([await queuedAt(sooner), await queuedAt(later)]).toEqual([5 * MINUTE, 10 * MINUTE]);
  });

  it('sends a scheduled message when the clock reaches its send time', async () => {
    const sendAt = new Date((await now()) + 10 * MINUTE).toISOString();
    const id = await send({ to: '+15557740002', send_at: sendAt });
    expect(await status(id)).toBe('scheduled');
    await advance(10 * MINUTE - 1000);
    await server.api(CLOCK);
    expect(await status(id)).toBe('scheduled');
    await advance(1000);
    expect((await waitForEnd(server, id)).status).toBe('delivered');
  });

  it('fails a scheduled message with 21610 when its handset replied STOP before the send time', async () => {
    const handset = '+15557740009';
    const id = await send({ to: handset, send_at: new Date((await now()) + 10 * MINUTE).toISOString() });
    const stop = await server.api('/api/simulator/inbound', { body: { from: handset, to: NUMBERS[0], body: 'STOP' } });
    expect(stop.status, stop.text).toBe(201);
    await advance(10 * MINUTE);
    const ended = await waitForEnd(server, id);
    expect(ended).toMatchObject({ status: 'failed', error_code: '21610' });
    expect((await server.store.events.listForMessage(PROJECT_ID, id)).map((e) => e.status)).toEqual(['scheduled', 'queued', 'failed']);
  });

  it('expires a message its carrier keeps throttling once its validity period has passed', async () => {
    // The simulator asks a throttled sender to wait its delay: 100 throttles at 1 s outlast the 60 s validity.
    await server.api('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 1000 } });
    onTestFinished(async () => void (await server.api('/api/simulator/settings', { method: 'PUT', body: { delay_ms: 0 } })));
    const form = new URLSearchParams({ To: '+15557730001', From: NUMBERS[0]!, Body: 'expire me', ValidityPeriod: '60' });
    const res = await fetch(`${server.url}/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { method: 'POST', headers: { authorization: server.auth, 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(res.status).toBe(201);
    const { sid } = (await res.json()) as { sid: string };
    const statuses = async () => (await server.store.events.listForMessage(PROJECT_ID, sid)).map((e) => e.status);
    await eventually(async () => ((await statuses()).includes('initiated') ? true : undefined), 10_000, 'a first submission');
    await advance(61_000);
    const ended = await waitForEnd(server, sid);
    expect(ended.status).toBe('failed');
    expect(ended.error_code).toBe('30036');
  });

  it('reconciles a message whose receipt never comes once the clock passes receipts.reconcileAfterMs (10 minutes)', async () => {
    const id = await send({ to: '+15557750001' });
    await eventually(async () => ((await status(id)) === 'sent' ? true : undefined), 10_000, 'sent');
    await advance(5 * MINUTE);
    await server.api(CLOCK);
    expect(await status(id)).toBe('sent');
    await advance(6 * MINUTE);
    expect((await waitForEnd(server, id)).status).toBe('delivered');
  });

  it("gives a failing status callback up once the clock has moved past its retry window", async () => {
    const id = await send({ to: '+15557740003', status_callback: `${receiver.url}/status` });
    await waitForEnd(server, id);
    await receiver.waitFor(1);
    const deliveries = () => server.store.webhooks.listForMessage(PROJECT_ID, id);
    // The first attempt is recorded (the receiver saw it; its answer may still be on its way back).
    await eventually(async () => ((await deliveries()).some((d) => d.attempts > 0) ? true : undefined), 10_000, 'a first attempt recorded');
    expect((await deliveries()).some((d) => d.status === 'failed')).toBe(false);
    await advance(60 * MINUTE + 1000);
    await eventually(async () => ((await deliveries()).every((d) => d.status === 'failed') ? true : undefined), 10_000, 'every callback given up');
    const given = await deliveries();
    expect(given.length).toBeGreaterThan(0);
    // The last attempt was made at the window's close, not before (docs/webhooks.md).
    // Every retry of the hour was made, in one advance: 1 s doubling to 5 min is some 20 attempts.
    expect(Math.max(...given.map((d) => d.attempts))).toBeGreaterThanOrEqual(15);
  });

  it('sends each status callback once when the clock moves past its lease while the receiver is still answering', async () => {
    const slow = await startWebhookReceiver();
    try {
      slow.respond(() => ({ status: 200, delayMs: 1000 }));
      const id = await send({ to: '+15557740005', status_callback: `${slow.url}/status` });
      // An hour in one advance: past every callback's 30 s lease, some while their request is under way.
      await advance(60 * MINUTE);
      await eventually(async () => ((await server.store.webhooks.listForMessage(PROJECT_ID, id)).every((d) => d.status === 'delivered') ? true : undefined), 15_000, 'every callback delivered');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const statuses = slow.requests.map((r) => r.form?.get('MessageStatus') ?? r.json?.status);
      expect(statuses.sort()).toEqual(['delivered', 'initiated', 'queued', 'sent']);
    } finally {
      await slow.close();
    }
  });

  // They followed the simulator clock: a test suite's advance of a day logged the developer out of
  // the console, and a failed-login lockout lasted until someone moved the clock, whatever Retry-After said.
  it('keeps console sessions and failed-login limits on the wall clock', async () => {
    const login = await server.api('/api/console/login', { auth: null, body: { project_id: PROJECT_ID, api_token: API_TOKEN } });
    expect(login.status, login.text).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const session = async () => (await server.api('/api/console/session', { auth: null, headers: { cookie } })).body.authenticated;
    expect(await session()).toBe(true);
    // Use up the failures one address may make (20 by default): the next attempt is limited.
    const wrong = `Basic ${Buffer.from(`${PROJECT_ID}:wrong-token`).toString('base64')}`;
    let limited = 0;
    for (let i = 0; i < 25; i++) if ((await server.api('/api/messaging/logs', { auth: wrong })).status === 429) limited++;
    expect(limited).toBeGreaterThan(0);

    await advance(48 * 60 * MINUTE); // past the console's 12-hour session lifetime, and a day of forgiven failures
    expect(await session()).toBe(true);
    // On the simulator clock the bucket would be full again (20 guesses). On the wall clock it refills
    // one a second, and refused attempts take nothing, so a fraction left over may have become a
    // whole guess by now: the very next one is not always refused, but far fewer than 20 pass.
    let guesses = 0;
    while (guesses < 25 && (await server.api('/api/messaging/logs', { auth: wrong })).status === 401) guesses++;
    expect(guesses).toBeLessThan(20);
  });
});
