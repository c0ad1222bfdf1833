/**
 * Switchboard with an SMPP connector bound, over a real socket, to the simulator's SMSC in the
 * same server. The SMSC writes ids in hex in submit_sm_resp and in decimal in receipts, so every
 * test here also exercises per-connector id normalisation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmppConnector } from '../src/carriers/smpp/connector.js';
import { rejection, twilioClient } from './compat/clients.js';
import { freePort } from './helpers/built-server.js';
import { waitForEnd } from './helpers/messages.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let connector: SmppConnector;

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer(
    { simulatorSmscEnabled: true, simulatorSmscPort: port, simulatorSmscSubmitIdFormat: 'hex', simulatorSmscReceiptIdFormat: 'decimal', simulatorDelayMs: 20 },
    {
      file: {
        smpp: {
          connectors: [
            {
              id: 'smsc',
              host: '127.0.0.1',
              port,
              systemId: 'switchboard',
              password: 'secret',
              window: 10,
              throughput: 0,
              idFormat: { submit: 'hex', receipt: 'decimal' },
              reconnectMinMs: 50,
              reconnectMaxMs: 200,
              earlyReceiptHoldMs: 1500,
              moReassemblyMs: 500,
              // National (TON 2) numbers on MOs are placed only with this (kept as they came otherwise).
              nationalCountryCode: '1',
            },
          ],
          routes: [
            { prefix: '+44', connector: 'smsc' },
            { prefix: '+120155501', connector: 'smsc' },
          ],
        },
      },
    },
  );
  connector = server.carriers.find((c) => c.descriptor.id === 'smsc') as SmppConnector;
  await eventually(() => (connector.status().state === 'up' ? true : undefined), 5000, 'the bind');
});
afterAll(async () => {
  await server?.stop();
});

async function send(to: string, body: string): Promise<string> {
  const r = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body } });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

const final = (id: string, timeoutMs?: number) => waitForEnd(server, id, timeoutMs);

async function statuses(id: string): Promise<string[]> {
  return (await server.store.events.listForMessage(PROJECT_ID, id)).map((e) => e.status);
}

describe('an SMPP connector against the simulator SMSC', () => {
  it('delivers a plain message with a receipt, through the carrier it was routed to', async () => {
    const id = await send('+447700900001', 'Hello over SMPP');
    const log = await final(id);
    expect(log.status).toBe('delivered');
    expect(await statuses(id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    const msg = await server.store.messages.get(PROJECT_ID, id);
    expect(msg).toMatchObject({ carrier: 'smsc' });
    const seen = server.smsc!.submissions().find((s) => s.id === msg!.carrierMessageId);
    expect(seen).toMatchObject({ to: '+447700900001', from: NUMBERS[0], text: 'Hello over SMPP', dataCoding: 0 });
    const parts = await server.store.carrierParts.listForMessage(PROJECT_ID, id);
    expect(parts).toEqual([expect.objectContaining({ partIndex: 1, partCount: 1, status: 'delivered' })]);
  });

  it('delivers long GSM-7 and UCS-2 (emoji) messages as concatenated parts, each part receipted', async () => {
    const gsm = 'The quick brown fox jumps over the lazy dog; {braces} and € cost two septets. '.repeat(5);
    const ucs = 'Emoji 👋🏽 test ✓ — ' + '🙂😀'.repeat(40);
    const [a, b] = [await send('+447700900002', gsm), await send('+447700900003', ucs)];
    for (const [id, text, encoding] of [
      [a, gsm, 0],
      [b, ucs, 8],
    ] as const) {
      expect((await final(id)).status).toBe('delivered');
      const msg = (await server.store.messages.get(PROJECT_ID, id))!;
      const parts = await server.store.carrierParts.listForMessage(PROJECT_ID, id);
      expect(parts.length).toBe(msg.segments);
      expect(parts.every((p) => p.status === 'delivered' && p.partCount === msg.segments)).toBe(true);
      const submitted = server.smsc!.submissions().filter((s) => parts.some((p) => p.carrierMessageId === String(parseInt(s.id, 16))));
      expect(submitted).toHaveLength(msg.segments);
      submitted.sort((x, y) => x.concat!.seq - y.concat!.seq);
      expect(submitted.map((s) => s.text).join('')).toBe(text);
      expect(new Set(submitted.map((s) => s.concat!.reference)).size).toBe(1);
      expect(submitted.every((s) => s.dataCoding === encoding)).toBe(true);
    }
  });

  it('reports failures with their catalogue codes: at submission and by receipt', async () => {
    const undelivered = await send('+12015550101', 'unreachable');
    const unknown = await send('+12015550102', 'unknown handset');
    const rejected = await send('+12015550104', 'landline');
    const filtered = await send('+12015550105', 'filtered');
    expect(await final(undelivered)).toMatchObject({ status: 'undelivered', error_code: '30003' });
    expect(await final(unknown)).toMatchObject({ status: 'undelivered', error_code: '30005' });
    expect(await final(rejected)).toMatchObject({ status: 'failed', error_code: '30006' });
    const f = await final(filtered);
    expect(f).toMatchObject({ status: 'failed', error_code: '30007' });
    expect(f.error_message).toMatch(/ESME_RX_R_APPN/);
  });

  it('retries throttled and transient SMSC answers until the message goes through', async () => {
    const throttled = await send('+12015550108', 'throttled twice');
    const transient = await send('+12015550109', 'transient twice');
    expect((await final(throttled)).status).toBe('delivered');
    expect((await final(transient)).status).toBe('delivered');
    const c = connector.status().counters;
    expect(c.throttled).toBeGreaterThanOrEqual(2);
    expect(c.transient_errors).toBeGreaterThanOrEqual(2);
  });

  it('slows down when the SMSC throttles a burst, and every message still arrives once', async () => {
    server.smsc!.setBehaviour({ maxSubmitsPerSecond: 15 });
    try {
      const before = connector.status().counters.throttled!;
      const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => send(`+4477009011${String(i).padStart(2, '0')}`, `burst ${i}`)));
      for (const id of ids) expect((await final(id, 20_000)).status).toBe('delivered');
      expect(connector.status().counters.throttled! - before).toBeGreaterThan(0);
      for (const id of ids.slice(0, 10)) expect((await statuses(id)).filter((s) => s === 'delivered')).toHaveLength(1);
    } finally {
      server.smsc!.setBehaviour({ maxSubmitsPerSecond: 0 });
    }
  });

  it('handles a receipt that arrives before its submit_sm_resp', async () => {
    server.smsc!.setBehaviour({ responseDelayMs: 150 });
    try {
      const before = connector.status().counters.receipts_early!;
      const id = await send('+447700900004', 'receipt first');
      expect((await final(id)).status).toBe('delivered');
      expect(connector.status().counters.receipts_early! - before).toBeGreaterThanOrEqual(1);
      expect(await statuses(id)).toEqual(['queued', 'initiated', 'sent', 'delivered']);
    } finally {
      server.smsc!.setBehaviour({ responseDelayMs: 0 });
    }
  });

  it('survives a bind dropped mid-burst: every message ends once, every duplicate is counted', async () => {
    const c0 = { ...connector.status().counters };
    const smsc0 = { ...server.smsc!.stats };
    server.smsc!.setBehaviour({ dropAfterSubmits: 25 });
    const long = 'Part of a long message that needs three segments to carry all of it. '.repeat(6);
    const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => send(`+4477009022${String(i).padStart(2, '0')}`, i % 5 === 0 ? long : `drop burst ${i}`)));
    for (const id of ids) expect((await final(id, 20_000)).status).toBe('delivered');
    const events = await Promise.all(ids.map(statuses));
    for (const e of events) expect(e.filter((s) => s === 'delivered')).toHaveLength(1);
    const messages = await server.store.messages.getMany(PROJECT_ID, ids);
    const totalParts = messages.reduce((n, m) => n + m.segments, 0);
    const c = connector.status().counters;
    expect(c.disconnects! - c0.disconnects!).toBeGreaterThanOrEqual(1);
    expect(c.resent! - c0.resent!).toBeGreaterThanOrEqual(1);
    // The SMSC accepted some parts twice (their answers were lost with the bind): each of those
    // extra copies produced a receipt for an id we never learned, counted as orphaned.
    const duplicates = server.smsc!.stats.accepted - smsc0.accepted - totalParts;
    expect(duplicates).toBeGreaterThanOrEqual(1);
    await eventually(() => (connector.status().counters.receipts_orphaned! - c0.receipts_orphaned! === duplicates ? true : undefined), 5000, 'orphaned receipts to match duplicates');
  });

  it('routes single and multipart mobile-originated messages to the number owner', async () => {
    const single = 'Reply from a handset';
    const multi = 'A long reply from a handset with ünïcödé ✓ that spans several parts. '.repeat(3);
    expect(server.smsc!.injectMo({ from: '+447700900555', to: NUMBERS[0]!, text: single })).toBe(1);
    expect(server.smsc!.injectMo({ from: '+447700900556', to: NUMBERS[0]!, text: multi, split: 'sar' })).toBeGreaterThan(1);
    const inbound = await eventually(async () => {
      const list = await server.store.messages.list(PROJECT_ID, { direction: 'inbound', to: NUMBERS[0] }, { limit: 50 });
      const a = list.find((m) => m.from === '+447700900555');
      const b = list.find((m) => m.from === '+447700900556');
      return a && b ? { a, b } : undefined;
    });
    expect(inbound.a).toMatchObject({ body: single, status: 'received', carrier: 'smsc', segments: 1 });
    expect(inbound.b.body).toBe(multi);
    expect(inbound.b.segments).toBeGreaterThan(1);
  });

  it('refuses an MO whose from or to an SMPP address cannot carry (422 naming it), and the bind delivers the next MO', async () => {
    const inbound = () => server.store.messages.list(PROJECT_ID, { direction: 'inbound', to: NUMBERS[0] }, { limit: 200 });
    const before = (await inbound()).length;
    for (const [from, to, field] of [
      ['x'.repeat(21), NUMBERS[0], 'from'],
      ['é'.repeat(20), NUMBERS[0], 'from'],
      ['\ud800', NUMBERS[0], 'from'],
      ['😀', NUMBERS[0], 'from'],
      ['a\u0000b', NUMBERS[0], 'from'],
      ['+447700900557', '1'.repeat(21), 'to'],
      ['+447700900557', 'Ā'.repeat(5), 'to'],
    ] as const) {
      const r = await server.api('/api/simulator/smsc/mo', { body: { from, to, body: 'odd address' } });
      expect(r.status, `${JSON.stringify(from)} -> ${JSON.stringify(to)}: ${r.text}`).toBe(422);
      expect(r.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: field, message: expect.stringContaining('SMPP address') });
    }
    // The longest address there is, and an alphanumeric one, still go through, and nothing else went.
    for (const from of ['+' + '4'.repeat(20), 'Alpha Name']) {
      const r = await server.api('/api/simulator/smsc/mo', { body: { from, to: NUMBERS[0], body: 'fine address' } });
      expect(r.status, r.text).toBe(202);
    }
    const after = await eventually(async () => {
      const list = await inbound();
      return list.length >= before + 2 ? list : undefined;
    });
    expect(after.slice(0, after.length - before).map((m) => m.from).sort()).toEqual(['+' + '4'.repeat(20), 'Alpha Name'].sort());
  });

  it('keys a STOP from a handset written without + (TON 0, or TON 2 with nationalCountryCode) by its E.164 number: the next send is refused until START', async () => {
    const client = twilioClient(server.url);
    const optedOut = async (handset: string) => (await server.store.optOuts.list(PROJECT_ID, { handset }, { limit: 5 })).length > 0;
    for (const [i, ton] of [0, 2].entries()) {
      const handset = `+1555700030${i}`;
      expect(server.smsc!.injectMo({ from: handset.slice(1), fromTon: ton, to: NUMBERS[0]!, text: 'STOP' })).toBe(1);
      await eventually(async () => ((await optedOut(handset)) ? true : undefined), 5000, `the opt-out of ${handset}`);
      // The opt-out is recorded before the inbound message's own row is committed (inbound-receiver.ts).
      await eventually(
        async () => (await server.store.messages.list(PROJECT_ID, { direction: 'inbound', from: handset }, { limit: 5 })).find((m) => m.body === 'STOP'),
        5000,
        `the STOP from ${handset}`,
      );
      expect(await rejection(client.messages.create({ from: NUMBERS[0]!, to: handset, body: 'x' }))).toMatchObject({ status: 400, code: 21610 });
      const native = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: handset, body: 'x' } });
      expect(native.status).toBe(422);
      expect(native.body.errors).toEqual([expect.objectContaining({ code: 'recipient_opted_out' })]);

      expect(server.smsc!.injectMo({ from: handset.slice(1), fromTon: ton, to: NUMBERS[0]!, text: 'unstop' })).toBe(1);
      await eventually(async () => ((await optedOut(handset)) ? undefined : true), 5000, `${handset} back in`);
      expect((await client.messages.create({ from: NUMBERS[0]!, to: handset, body: 'Welcome back' })).status).toBe('queued');
    }
  });

  it('delivers an incomplete multipart MO after the reassembly timeout, and counts it', async () => {
    const before = connector.status().counters.mo_incomplete!;
    const text = 'Lost part test. '.repeat(25);
    expect(server.smsc!.injectMo({ from: '+447700900557', to: NUMBERS[0]!, text, loseParts: [2] })).toBe(3);
    const got = await eventually(async () => (await server.store.messages.list(PROJECT_ID, { direction: 'inbound', from: '+447700900557' }, { limit: 5 }))[0]);
    expect(got.body).toBe(text.slice(0, 153) + text.slice(306));
    expect(got.segments).toBe(3);
    expect(connector.status().counters.mo_incomplete! - before).toBe(1);
  });

  it('shows connector state in /api/ops/carriers (management scope) and /metrics', async () => {
    const unauth = await server.api('/api/ops/carriers', { auth: null });
    expect(unauth.status).toBe(401);
    const r = await server.api('/api/ops/carriers');
    expect(r.status).toBe(200);
    const smsc = r.body.data.find((c: any) => c.id === 'smsc');
    expect(smsc).toMatchObject({ kind: 'smpp', state: 'up', routes: ['+44', '+120155501'], links: [expect.objectContaining({ id: 'transceiver-1', state: 'bound', window_size: 10 })] });
    expect(smsc.counters.accepted).toBeGreaterThan(0);
    expect(r.body.data.find((c: any) => c.id === 'simulator')).toMatchObject({ default_route: true });
    const metrics = await fetch(`${server.url}/metrics`).then((x) => x.text());
    expect(metrics).toMatch(/switchboard_carrier_link_up\{carrier="smsc",link="transceiver-1",mode="transceiver"\} 1/);
    expect(metrics).toMatch(/switchboard_carrier_events_total\{carrier="smsc",event="accepted"\} \d+/);
    const control = await server.api('/api/simulator/smsc');
    expect(control.status).toBe(200);
    expect(control.body.binds).toHaveLength(1);
  });
});
