/**
 * A STOP from a handset while one of our messages to it waits to be sent: for a retry after the
 * carrier throttled it, or for its first claim long after it was accepted (a backlog, no node
 * dispatching). The message must not go out: it fails with 21610 when it is claimed, as one waiting
 * for its send time or its sender's rate slot does (opt-outs.test.ts). Before, only those two
 * kinds were checked again, and a retried or late message reached a handset that had said STOP.
 * The simulator clock is manual: nothing here waits for time to pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEnd } from './helpers/messages.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { messageRow } from './helpers/records.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';

const MINUTE = 60_000;
let server: TestServer;
let p: TestProject;

beforeAll(async () => {
  server = await startTestServer({ simulatorClock: 'manual' });
  p = await createProject(server, { name: 'Opt-outs while waiting' });
});
afterAll(async () => {
  await server?.stop();
});

async function register(number: string): Promise<void> {
  const res = await server.api('/api/relay/rest/phone_numbers', { auth: p.auth, body: { number } });
  expect(res.status, res.text).toBe(200);
}

async function handsetSays(from: string, to: string, body: string): Promise<void> {
  const res = await server.api('/api/simulator/inbound', { auth: p.auth, body: { from, to, body } });
  expect(res.status, res.text).toBe(201);
}

/** What the handset received from `from`, oldest first. */
async function inbox(handset: string, from: string): Promise<string[]> {
  const res = await server.api(`/api/simulator/messages?to=${encodeURIComponent(handset)}&from=${encodeURIComponent(from)}`, { auth: p.auth });
  expect(res.status, res.text).toBe(200);
  return (res.body.data as Array<{ body: string }>).map((m) => m.body).reverse();
}

/** The STOP was recorded (its confirmation waits on the manual clock). */
const optedOut = (handset: string, from: string) => server.store.optOuts.blocks(p.projectId, handset, from, null);

describe('a STOP while a message to the handset waits to be sent', () => {
  it('fails a message waiting for its retry after a throttle with 21610 when the retry comes', async () => {
    const number = '+15551239901';
    const handset = '+15557719901';
    await register(number);
    // The simulator throttles the first submission to the handset; the retry comes a second later.
    const set = await server.api('/api/simulator/settings', { method: 'PUT', auth: p.auth, body: { delay_ms: 1000, rules: [{ prefix: handset, outcome: 'throttled', times: 1 }] } });
    expect(set.status, set.text).toBe(200);
    const sent = await server.api('/api/messaging/messages', { auth: p.auth, body: { from: number, to: handset, body: 'throttled once' } });
    expect(sent.status, sent.text).toBe(201);
    const id = sent.body.id as string;
    await eventually(async () => ((await server.store.events.listForMessage(p.projectId, id)).some((e) => e.status === 'initiated') ? true : undefined), 10_000, 'a first submission');
    await handsetSays(handset, number, 'STOP');
    await eventually(async () => ((await optedOut(handset, number)) ? true : undefined), 10_000, 'the STOP recorded');
    await server.api('/api/simulator/clock/advance', { body: { ms: MINUTE } });
    expect(await waitForEnd(server, id, undefined, p.auth)).toMatchObject({ status: 'failed', error_code: '21610' });
    expect((await inbox(handset, number)).filter((b) => b === 'throttled once')).toEqual([]);
  });

  it('fails a message first claimed minutes after it was accepted with 21610', async () => {
    const number = '+15551239902';
    const handset = '+15557719902';
    await register(number);
    await handsetSays(handset, number, 'STOP');
    await eventually(async () => ((await optedOut(handset, number)) ? true : undefined), 10_000, 'the STOP recorded');
    // A message accepted 5 minutes ago (before the STOP), its job never claimed since: as a node
    // that only takes API requests writes them while no dispatching node runs.
    const at = Date.parse((await server.api('/api/simulator/clock')).body.now) - 5 * MINUTE;
    const [waiting] = await server.store.messages.insertMany([messageRow(p.projectId, { from: number, to: handset, body: 'accepted before the STOP', status: 'queued', createdAt: at })]);
    await server.store.jobs.enqueueMany([{ kind: 'dispatch', projectId: p.projectId, messageId: waiting!.id, runAt: at }]);
    server.bus.publish('work.available', { queue: 'dispatch' });
    const claimed = await eventually(async () => {
      const m = await server.store.messages.get(p.projectId, waiting!.id);
      return m && m.status !== 'queued' ? m : undefined;
    });
    expect([claimed.status, claimed.errorCode]).toEqual(['failed', '21610']);
    expect((await inbox(handset, number)).filter((b) => b === 'accepted before the STOP')).toEqual([]);
  });
});
