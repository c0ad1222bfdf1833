/**
 * A number released by one project and registered by another (tenancy, docs/architecture.md): the
 * first project's messages still waiting to be sent from it — for their sender's rate slot, for a
 * retry after the carrier throttled them, or for a dispatching node — must not go out from the
 * number now another project's. Each fails with 21210 (`invalid_from_number`), as a scheduled message does at its send
 * time (compat/sending-real-traffic-rates.test.ts); those waiting for rate slots at once, not when
 * their slots come. The simulator clock is manual: nothing here waits for time to pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEnd } from './helpers/messages.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { messageRow } from './helpers/records.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';

const MINUTE = 60_000;
let server: TestServer;
let a: TestProject;
let b: TestProject;

beforeAll(async () => {
  server = await startTestServer({ simulatorClock: 'manual' });
  a = await createProject(server, { name: 'Tenant A' });
  b = await createProject(server, { name: 'Tenant B' });
});
afterAll(async () => {
  await server?.stop();
});

const advance = async (ms: number) => {
  const res = await server.api('/api/simulator/clock/advance', { body: { ms } });
  expect(res.status, res.text).toBe(200);
};

async function register(p: TestProject, number: string, fields: Record<string, unknown> = {}): Promise<string> {
  const res = await server.api('/api/relay/rest/phone_numbers', { auth: p.auth, body: { number, ...fields } });
  expect(res.status, res.text).toBe(200);
  return res.body.id;
}

async function send(p: TestProject, from: string, to: string, body: string): Promise<string> {
  const res = await server.api('/api/messaging/messages', { auth: p.auth, body: { from, to, body } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

const statuses = async (p: TestProject, id: string) => (await server.store.events.listForMessage(p.projectId, id)).map((e) => e.status);

/** A releases `number`; B registers it. */
async function handOver(number: string, aId: string): Promise<void> {
  const released = await server.api(`/api/relay/rest/phone_numbers/${aId}`, { method: 'DELETE', auth: a.auth });
  expect(released.status, released.text).toBe(204);
  await register(b, number);
}

/** What the handset `to` received, in either project's inbox. */
async function inboxes(to: string): Promise<{ a: string[]; b: string[] }> {
  const of = async (p: TestProject) => (await server.api(`/api/simulator/messages?to=${encodeURIComponent(to)}`, { auth: p.auth })).body.data.map((h: { body: string }) => h.body).reverse();
  return { a: await of(a), b: await of(b) };
}

describe("A's messages waiting to be sent from a number A released and B registered", () => {
  it("fail with 21210 at once, not at their sender's rate slots, and none goes out from B's number", async () => {
    const number = '+15551238801';
    const handset = '+15557708801';
    // One message every 100 s.
    const id = await register(a, number, { messages_per_second: 0.01 });
    const ids = [await send(a, number, handset, 'A 0'), await send(a, number, handset, 'A 1'), await send(a, number, handset, 'A 2')];
    expect((await waitForEnd(server, ids[0]!, undefined, a.auth)).status).toBe('delivered');
    // The others wait for slots 100 s and 200 s away: the clock stands still, and is not moved here.
    await handOver(number, id);
    for (const later of ids.slice(1)) expect(await waitForEnd(server, later, undefined, a.auth)).toMatchObject({ status: 'failed', error_code: '21210' });
    expect(await inboxes(handset)).toEqual({ a: ['A 0'], b: [] });
    // Nothing is left to go out from it when the slots come.
    await advance(5 * MINUTE);
    expect(await inboxes(handset)).toEqual({ a: ['A 0'], b: [] });
  });

  it('fail with 21210 when their retry after a throttle comes, instead of going out from B’s number', async () => {
    const number = '+15551238802';
    const handset = '+15557718802';
    // A's simulator throttles its first submission to the handset; the retry comes a second later.
    const set = await server.api('/api/simulator/settings', { method: 'PUT', auth: a.auth, body: { delay_ms: 1000, rules: [{ prefix: handset, outcome: 'throttled', times: 1 }] } });
    expect(set.status, set.text).toBe(200);
    const id = await register(a, number);
    const msg = await send(a, number, handset, 'A throttled');
    await eventually(async () => ((await statuses(a, msg)).includes('initiated') ? true : undefined), 10_000, 'a first submission');
    await handOver(number, id);
    await advance(MINUTE);
    expect(await waitForEnd(server, msg, undefined, a.auth)).toMatchObject({ status: 'failed', error_code: '21210' });
    expect(await inboxes(handset)).toEqual({ a: [], b: [] });
  });

  it('fail with 21210 when first claimed minutes after they were written (no node dispatched meanwhile), instead of going out from B’s number', async () => {
    const number = '+15551238803';
    const handset = '+15557708803';
    const id = await register(a, number);
    // A message of A's accepted 5 minutes ago, its job never claimed since: as a node that only
    // takes API requests writes them while no dispatching node runs.
    const at = Date.parse((await server.api('/api/simulator/clock')).body.now) - 5 * MINUTE;
    const [waiting] = await server.store.messages.insertMany([messageRow(a.projectId, { from: number, to: handset, body: 'A late', status: 'queued', createdAt: at })]);
    await handOver(number, id);
    await server.store.jobs.enqueueMany([{ kind: 'dispatch', projectId: a.projectId, messageId: waiting!.id, runAt: at }]);
    server.bus.publish('work.available', { queue: 'dispatch' });
    // Claimed: failed, not handed to the carrier.
    const claimed = await eventually(async () => {
      const m = await server.store.messages.get(a.projectId, waiting!.id);
      return m && m.status !== 'queued' ? m : undefined;
    });
    expect([claimed.status, claimed.errorCode]).toEqual(['failed', '21210']);
    expect(await inboxes(handset)).toEqual({ a: [], b: [] });
  });
});
