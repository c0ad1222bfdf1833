/**
 * Receipt reconciliation over SMPP, against the simulator's SMSC on a real socket: a message whose
 * receipt the SMSC never sends is resolved with `query_sm` (and the built-in simulator answers for
 * its own); so are messages of a connector that
 * asks for no receipts at all (delivered, or undelivered with the error the SMSC reports); and one
 * nobody can resolve (the SMSC is gone) ends `undelivered` 30008 at the deadline. Short waits
 * (1 s, 3 s) stand in for the defaults (10 minutes, 72 hours).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmppConnector } from '../src/carriers/smpp/connector.js';
import { freePort } from './helpers/built-server.js';
import { sendMessage, waitForEnd } from './helpers/messages.js';
import { eventually, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let connector: SmppConnector;
let quiet: SmppConnector;

const connectorConfig = (id: string, port: number, extra: Record<string, unknown> = {}) => ({
  id,
  host: '127.0.0.1',
  port,
  systemId: 'switchboard',
  password: 'secret',
  throughput: 0,
  idFormat: { submit: 'hex', receipt: 'decimal' },
  reconnectMinMs: 50,
  reconnectMaxMs: 200,
  ...extra,
});

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer(
    {
      simulatorSmscEnabled: true,
      simulatorSmscPort: port,
      simulatorSmscSubmitIdFormat: 'hex',
      simulatorSmscReceiptIdFormat: 'decimal',
      simulatorDelayMs: 20,
      receiptsReconcileAfterMs: 1000,
      receiptsGiveUpAfterMs: 3000,
    },
    {
      file: {
        simulator: {
          rules: [
            { prefix: '+4477009009', outcome: 'undelivered', error: 30003 },
            { prefix: '+1555000777', outcome: 'no_receipt' },
          ],
        },
        smpp: {
          connectors: [connectorConfig('smsc', port), connectorConfig('quiet', port, { registeredDelivery: 'none' })],
          routes: [
            { prefix: '+120155501', connector: 'smsc' },
            { prefix: '+44', connector: 'quiet' },
          ],
        },
      },
    },
  );
  connector = server.carriers.find((c) => c.descriptor.id === 'smsc') as SmppConnector;
  quiet = server.carriers.find((c) => c.descriptor.id === 'quiet') as SmppConnector;
  await eventually(() => (connector.status().state === 'up' && quiet.status().state === 'up' ? true : undefined), 5000, 'the binds');
});
afterAll(async () => {
  await server?.stop();
});

const send = async (to: string, body: string): Promise<string> => (await sendMessage(server, { to, body })).id as string;
const final = (id: string) => waitForEnd(server, id, 15_000);
const events = (id: string) => server.store.events.listForMessage(PROJECT_ID, id);

describe('receipt reconciliation over SMPP (query_sm)', () => {
  it('resolves a message whose receipt the SMSC never sends: query_sm finds it delivered', async () => {
    const queries0 = connector.status().counters.queries!;
    const id = await send('+12015550107', 'no receipt will come for this one');
    expect(await final(id)).toMatchObject({ status: 'delivered' });
    const timeline = await events(id);
    expect(timeline.map((e) => e.status)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    expect(timeline.at(-1)!.detail).toEqual({ reconciled: true });
    expect(connector.status().counters.queries! - queries0).toBe(1);
    // The part's record holds the answer, so a receipt that still came would count as a duplicate.
    expect(await server.store.carrierParts.listForMessage(PROJECT_ID, id)).toEqual([expect.objectContaining({ status: 'delivered' })]);
  });

  it('asks about every part of a long message', async () => {
    const queries0 = connector.status().counters.queries!;
    const id = await send('+12015550107', 'A long text without receipts, split into parts that each get their own query_sm. '.repeat(3));
    expect(await final(id)).toMatchObject({ status: 'delivered' });
    const parts = await server.store.carrierParts.listForMessage(PROJECT_ID, id);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.status === 'delivered')).toBe(true);
    expect(connector.status().counters.queries! - queries0).toBe(parts.length);
  });

  it('gives a connector that asks for no receipts its final states: delivered, or undelivered with the reported error', async () => {
    const [delivered, unreachable] = [await send('+447700900123', 'no receipts requested'), await send('+447700900999', 'to a switched-off phone')];
    expect(await final(delivered)).toMatchObject({ status: 'delivered' });
    const failed = await final(unreachable);
    expect(failed).toMatchObject({ status: 'undelivered', error_code: '30003' });
    expect(failed.error_message).toMatch(/query_sm: stat UNDELIV, err 006/);
    expect((await events(unreachable)).at(-1)!.detail).toMatchObject({ reconciled: true });
  });

  it('asks the built-in simulator too: its no-receipt destinations were delivered', async () => {
    const id = await send('+15550007770', 'through the built-in simulator, no receipt');
    expect(await final(id)).toMatchObject({ status: 'delivered' });
    expect((await server.store.messages.get(PROJECT_ID, id))!.carrier).toBe('simulator');
    expect((await events(id)).at(-1)!.detail).toEqual({ reconciled: true });
  });

  it('ends a message nobody can resolve undelivered 30008 at the deadline (the SMSC went away)', async () => {
    const smsc = server.smsc!;
    const id = await send('+12015550107', 'sent just before the SMSC went away');
    await eventually(async () => ((await server.store.messages.get(PROJECT_ID, id))?.status === 'sent' ? true : undefined), 5000, 'sent');
    smsc.setBehaviour({ refuseBinds: true });
    smsc.dropBinds();
    try {
      const ended = await final(id);
      expect(ended).toMatchObject({ status: 'undelivered', error_code: '30008' });
      expect(ended.error_message).toMatch(/could not say: .*no bind up/);
      expect((await events(id)).at(-1)!.detail).toMatchObject({ reconciled: true, gave_up: true, carrier_state: 'unknown' });
    } finally {
      smsc.setBehaviour({ refuseBinds: false });
    }
    await eventually(() => (connector.status().state === 'up' ? true : undefined), 5000, 'the bind again');
  });
});
