/**
 * An SMSC that stays down (every bind refused with ESME_RBINDFAIL) or throttles every submit_sm
 * must not hold up another carrier: messages waiting in its connector hold dispatch slots, so after
 * DOWN_HAND_BACK_MS the connector gives them back to the dispatch queue and answers new ones
 * "transient" at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DOWN_HAND_BACK_MS } from '../src/carriers/smpp/connector.js';
import { STATUS } from '../src/carriers/smpp/pdu/constants.js';
import { freePort } from './helpers/built-server.js';
import { closeSmscs, scriptedSmsc } from './helpers/scripted-smsc.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
let refused = 0;

/** A server whose `+44` route goes to an SMSC that refuses binds, or binds and throttles everything. */
async function start(behaviour: 'refuse' | 'throttle'): Promise<TestServer> {
  refused = 0;
  const { port: downPort } = await scriptedSmsc({
    bindStatus: () => {
      if (behaviour !== 'refuse') return 0;
      refused++;
      return STATUS.ESME_RBINDFAIL;
    },
    submit: (pdu, _accept, reply) => {
      refused++;
      reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: STATUS.ESME_RTHROTTLED, messageId: '', tlvs: [] });
    },
  });
  const simPort = await freePort();
  return startTestServer(
    // One batch slot of 10: without the hand-back, the down carrier's first batch holds it for good.
    { simulatorSmscEnabled: true, simulatorSmscPort: simPort, dispatchConcurrency: 1, dispatchBatchSize: 10 },
    {
      file: {
        smpp: {
          connectors: [
            { id: 'down', host: '127.0.0.1', port: downPort, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 100, reconnectMaxMs: 400 },
            { id: 'healthy', host: '127.0.0.1', port: simPort, systemId: 'switchboard', password: 'secret', throughput: 0, reconnectMinMs: 50, reconnectMaxMs: 200 },
          ],
          routes: [
            { prefix: '+44', connector: 'down' },
            { prefix: '+1555', connector: 'healthy' },
          ],
        },
      },
    },
  );
}
afterEach(async () => {
  await server?.stop();
  await closeSmscs();
});

async function send(to: string, body: string): Promise<string> {
  const r = await server!.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body } });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

describe('an SMPP carrier whose SMSC refuses every bind or throttles every message', () => {
  it.each(['refuse', 'throttle'] as const)("does not hold up another carrier's messages, and keeps its own for retry (%s)", async (behaviour) => {
    server = await start(behaviour);
    const s = server;
    const stuck = [];
    for (let i = 0; i < 30; i++) stuck.push(await send(`+4477009000${String(i).padStart(2, '0')}`, `down ${i}`));
    const healthy = await send('+15557770001', 'through the healthy carrier');
    const t0 = Date.now();
    await eventually(async () => ((await s.store.messages.get(PROJECT_ID, healthy))?.status === 'delivered' ? true : undefined), DOWN_HAND_BACK_MS + 5000, 'the healthy carrier delivering');
    expect(Date.now() - t0).toBeLessThan(DOWN_HAND_BACK_MS + 5000);
    expect(refused).toBeGreaterThan(0);
    // Nothing accepted is lost: the down carrier's messages wait for a retry, none failed.
    for (const id of stuck) expect(['queued', 'initiated']).toContain((await s.store.messages.get(PROJECT_ID, id))!.status);
  }, 20_000);
});
