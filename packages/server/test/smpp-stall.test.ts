/**
 * An SMSC that accepts binds but never answers submit_sm must not hold up other carriers for long:
 * its dispatch batches hold the node's slots until it answers, so after `stalledAfterMs` (its
 * response timeout unless set) with no answer its connector gives every message back, those in a
 * window too (not only when `responseTimeoutMs` has ended `maxSubmitAttempts` binds). One that is
 * only slow, answering within its response timeout, is not taken for stalled: its messages are not
 * given back, so none is sent twice. Once an SMSC can take messages again, what its connector gave
 * back goes out promptly rather than at the retries' backoff times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS } from '../src/carriers/smpp/pdu/constants.js';
import { freePort } from './helpers/built-server.js';
import { closeSmscs, scriptedSmsc } from './helpers/scripted-smsc.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
/** What the fake SMSC does now: swallow submit_sm, refuse binds, answer, or answer after `SLOW_MS`. */
let mode: 'swallow' | 'refuse' | 'answer' | 'slow' = 'answer';
/** How long the fake SMSC takes to answer in `slow` mode. */
let slowMs = 6500;
let submits = 0;
const SLOW_MS = 6500;

async function start(responseTimeoutMs = 8000, stalled: Record<string, number> = {}): Promise<TestServer> {
  submits = 0;
  const { port } = await scriptedSmsc({
    bindStatus: () => (mode === 'refuse' ? STATUS.ESME_RBINDFAIL : 0),
    submit: (_pdu, accept) => {
      submits++;
      if (mode === 'answer') accept();
      else if (mode === 'slow') setTimeout(accept, slowMs);
    },
  });
  const simPort = await freePort();
  return startTestServer(
    // Four slots of 10 messages: the stalled carrier's messages fill all four.
    { simulatorSmscEnabled: true, simulatorSmscPort: simPort, dispatchConcurrency: 4, dispatchBatchSize: 10 },
    {
      file: {
        smpp: {
          connectors: [
            { id: 'stalled', host: '127.0.0.1', port, systemId: 'sw', password: 'pw', throughput: 0, window: 10, responseTimeoutMs, enquireLinkMs: 60_000, reconnectMinMs: 100, reconnectMaxMs: 400, ...stalled },
            { id: 'healthy', host: '127.0.0.1', port: simPort, systemId: 'switchboard', password: 'secret', throughput: 0, reconnectMinMs: 50, reconnectMaxMs: 200 },
          ],
          routes: [
            { prefix: '+44', connector: 'stalled' },
            { prefix: '+1555', connector: 'healthy' },
          ],
        },
      },
    },
  );
}
afterEach(async () => {
  slowMs = SLOW_MS;
  await server?.stop();
  server = undefined;
  await closeSmscs();
});

async function send(to: string, body: string): Promise<string> {
  const r = await server!.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body } });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

const status = async (id: string) => (await server!.store.messages.get(PROJECT_ID, id))?.status;

describe('an SMSC that binds but never answers submit_sm', () => {
  it("does not hold up another carrier's messages, and sends its own once it answers", async () => {
    mode = 'swallow';
    server = await start(4000);
    const stuck = [];
    for (let i = 0; i < 50; i++) stuck.push(await send(`+4477009000${String(i).padStart(2, '0')}`, `stalled ${i}`));
    // Its first batches are in the connector, taking the dispatcher's slots.
    await new Promise((r) => setTimeout(r, 500));
    const healthy = await send('+15557770001', 'through the healthy carrier');
    // The stalled connector gives its messages back 4 s (its response timeout) after its first
    // unanswered submit (and its sweep, once a second, sees it), though that timeout ends its bind
    // and the parts are sent again on the next: otherwise its slots are held until maxSubmitAttempts
    // (5) binds have each ended at the response timeout: 20 s.
    await eventually(async () => ((await status(healthy)) === 'delivered' ? true : undefined), 10_000, 'the healthy carrier delivering');
    for (const id of stuck) expect(['queued', 'initiated']).toContain(await status(id));
    // The SMSC answers again: every message of its goes out, none lost or failed.
    mode = 'answer';
    await eventually(async () => ((await Promise.all(stuck.map(status))).every((s) => s === 'sent') ? true : undefined), 30_000, 'the stalled carrier sending');
  }, 60_000);
});

describe('an SMSC that answers every submit_sm slowly, within its response timeout', () => {
  it('is not taken for stalled: each message is submitted once, and none is answered late', async () => {
    mode = 'slow';
    server = await start(10_000);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await send(`+4477009200${i}`, `slow ${i}`));
    await eventually(async () => ((await Promise.all(ids.map(status))).every((s) => s === 'sent') ? true : undefined), 20_000, 'the slow carrier sending');
    // A re-sent copy would be answered SLOW_MS later: wait for it.
    await new Promise((r) => setTimeout(r, SLOW_MS + 500));
    expect(submits).toBe(5);
    const connector = server.carriers.find((c) => c.descriptor.id === 'stalled')!;
    expect(connector.status().counters).toMatchObject({ late_answers: 0, submitted: 5 });
  }, 40_000);
});

describe('an SMSC that answers every submit_sm after stalledAfterMs, within its response timeout', () => {
  it("has its messages given back, and their retries take the late answers: each message is submitted once", async () => {
    mode = 'slow';
    slowMs = 3000;
    server = await start(10_000, { stalledAfterMs: 1000 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await send(`+4477009300${i}`, `slower ${i}`));
    await eventually(async () => ((await Promise.all(ids.map(status))).every((s) => s === 'sent') ? true : undefined), 20_000, 'the slow carrier sending');
    // A copy sent by a retry would be answered slowMs later: wait for it.
    await new Promise((r) => setTimeout(r, slowMs + 500));
    expect(submits).toBe(5);
    const connector = server.carriers.find((c) => c.descriptor.id === 'stalled')!;
    expect(connector.status().counters).toMatchObject({ submitted: 5, adopted: 5 });
    // Each message's carrier id is the one its only copy was given.
    const carrierIds = await Promise.all(ids.map(async (id) => (await server!.store.messages.get(PROJECT_ID, id))?.carrierMessageId));
    expect(new Set(carrierIds).size).toBe(5);
  }, 40_000);
});

describe('an SMSC back after an outage', () => {
  it('gets the messages its connector gave back promptly, not at their backoff times', async () => {
    mode = 'refuse';
    server = await start();
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await send(`+4477009100${i}`, `held ${i}`));
    // Down long enough for several retries: the next one is seconds away.
    await eventually(async () => ((await server!.store.jobs.count('dispatch')) === 5 && (await Promise.all(held.map((id) => server!.store.messages.get(PROJECT_ID, id)))).length === 5 ? true : undefined), 5000, 'the messages queued');
    await new Promise((r) => setTimeout(r, 14_000));
    mode = 'answer';
    // The bind comes back within reconnectMaxMs (400 ms); the retries come forward with it.
    await eventually(async () => ((await Promise.all(held.map(status))).every((s) => s === 'sent') ? true : undefined), 4000, 'the recovered carrier sending');
  }, 40_000);
});
