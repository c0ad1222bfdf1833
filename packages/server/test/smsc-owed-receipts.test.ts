/**
 * The simulator SMSC keeps the receipts it owes in the database (`owed-receipts.ts`): an SMSC
 * started after another one at the same address died — the server's restart after a kill -9 —
 * sends them, with the outcome decided at submission, and answers query_sm for their messages; a
 * receipt an ESME acknowledged is owed no more. Real sockets on loopback, on each store backend.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OutcomeRule } from '../src/domain/simulator/outcomes.js';
import { SimulatorSmsc } from '../src/carriers/simulator/smsc/smsc-server.js';
import { decodePdu, encodePdu, findTlv, type MessageIdRespPdu, type Pdu, type QuerySmRespPdu, type ShortMessagePdu } from '../src/carriers/smpp/pdu/codec.js';
import { MESSAGE_STATE, STATUS, TLV } from '../src/carriers/smpp/pdu/constants.js';
import { PduFramer } from '../src/carriers/smpp/pdu/framer.js';
import type { SmscReceiptRepository } from '../src/domain/ports/store.js';
import { storeBackends } from './helpers/postgres.js';

const DELAY_MS = 60_000;
const SOURCE = { ton: 1, npi: 1, addr: '15551230001' };
let now = 1_000_000;
const smscs: SimulatorSmsc[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of smscs.splice(0)) await s.stop();
});

async function startSmsc(receipts: SmscReceiptRepository, rules: OutcomeRule[] = []): Promise<SimulatorSmsc> {
  const smsc = new SimulatorSmsc(
    { host: '127.0.0.1', port: 0, systemId: 'switchboard', password: 'secret', maxBinds: 2, submitIdFormat: 'decimal', receiptIdFormat: 'decimal' },
    { rules: { getSettings: () => ({ delayMs: DELAY_MS, delayedReceiptMs: DELAY_MS, rules }) }, logger: { info() {}, warn() {}, error() {} }, now: () => now, receipts },
  );
  smscs.push(smsc);
  await smsc.start();
  return smsc;
}

/** A transceiver bound to `smsc`, and every PDU it reads. */
async function esme(smsc: SimulatorSmsc): Promise<{ s: Socket; seen: Pdu[] }> {
  const s = await new Promise<Socket>((resolve, reject) => {
    const c = connect({ port: smsc.port, host: '127.0.0.1' }, () => resolve(c));
    c.on('error', reject);
  });
  sockets.push(s);
  const seen: Pdu[] = [];
  const framer = new PduFramer();
  s.on('data', (chunk: Buffer) => {
    for (const f of framer.push(chunk).frames) {
      const d = decodePdu(f);
      if (d.ok) seen.push(d.pdu);
    }
  });
  s.write(encodePdu({ command: 'bind_transceiver', sequence: 1, status: 0, systemId: 'switchboard', password: 'secret', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' }));
  await expect.poll(() => seen.some((p) => p.command === 'bind_transceiver_resp')).toBe(true);
  return { s, seen };
}

const submit = (sequence: number, to: string): ShortMessagePdu => ({
  command: 'submit_sm', sequence, status: 0, serviceType: '', source: SOURCE, destination: { ton: 1, npi: 1, addr: to },
  esmClass: 0, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 1, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
  shortMessage: Buffer.from(`to ${to}`, 'latin1'), tlvs: [],
});

const receiptOf = (p: Pdu) => (p.command === 'deliver_sm' ? findTlv(p.tlvs, TLV.receipted_message_id)?.toString('latin1').replace(/\0$/, '') : undefined);

describe.each(storeBackends(afterAll))('the simulator SMSC restarted (%s)', (_name, open) => {
  it('sends the receipts it owed before, answers query_sm for them, and forgets those acknowledged', async () => {
    const { store, close } = await open();
    try {
      const rules: OutcomeRule[] = [{ prefix: '+4477009', outcome: { kind: 'undelivered', error: 'HANDSET_UNREACHABLE' } }];
      now = 1_000_000;
      const first = await startSmsc(store.smscReceipts, rules);
      const a = await esme(first);
      a.s.write(Buffer.concat([submit(2, '447700100001'), submit(3, '447700900002')].map((p) => encodePdu(p))));
      await expect.poll(() => a.seen.filter((p) => p.command === 'submit_sm_resp').length).toBe(2);
      const ids = (a.seen.filter((p) => p.command === 'submit_sm_resp') as MessageIdRespPdu[]).map((p) => p.messageId);
      expect(a.seen.some((p) => p.command === 'deliver_sm')).toBe(false);
      // Died before the receipts were due. The one that follows starts with the rules changed:
      // what was decided at submission stands.
      a.s.destroy();
      now += DELAY_MS + 1;
      const second = await startSmsc(store.smscReceipts);
      const b = await esme(second);
      await expect.poll(() => b.seen.filter((p) => p.command === 'deliver_sm').length).toBe(2);
      const delivers = b.seen.filter((p) => p.command === 'deliver_sm') as ShortMessagePdu[];
      const stateOf = (id: string) => findTlv(delivers.find((d) => receiptOf(d) === id)!.tlvs, TLV.message_state)?.[0];
      expect(stateOf(ids[0]!)).toBe(MESSAGE_STATE.DELIVERED);
      expect(stateOf(ids[1]!)).toBe(MESSAGE_STATE.UNDELIVERABLE);
      b.s.write(Buffer.concat(ids.map((id, i) => encodePdu({ command: 'query_sm', sequence: 10 + i, status: 0, messageId: id, source: SOURCE }))));
      await expect.poll(() => b.seen.filter((p) => p.command === 'query_sm_resp').length).toBe(2);
      const answers = b.seen.filter((p) => p.command === 'query_sm_resp') as QuerySmRespPdu[];
      expect(answers.map((p) => [p.status, p.messageState])).toEqual([
        [STATUS.ESME_ROK, MESSAGE_STATE.DELIVERED],
        [STATUS.ESME_ROK, MESSAGE_STATE.UNDELIVERABLE],
      ]);
      // The first is acknowledged; the second refused (the ESME's storage is out), so still owed.
      const seqOf = (id: string) => delivers.find((d) => receiptOf(d) === id)!.sequence;
      b.s.write(encodePdu({ command: 'deliver_sm_resp', sequence: seqOf(ids[0]!), status: 0, messageId: '', tlvs: [] }));
      b.s.write(encodePdu({ command: 'deliver_sm_resp', sequence: seqOf(ids[1]!), status: STATUS.ESME_RX_T_APPN, messageId: '', tlvs: [] }));
      await expect.poll(async () => (await store.smscReceipts.listOwed('127.0.0.1:0', 0, 10)).map((r) => String(r.seq))).toEqual([ids[1]]);
      b.s.destroy();
      await second.stop();

      const third = await startSmsc(store.smscReceipts);
      const c = await esme(third);
      await expect.poll(() => c.seen.filter((p) => p.command === 'deliver_sm').map(receiptOf)).toEqual([ids[1]]);
    } finally {
      await close();
    }
  });
});
