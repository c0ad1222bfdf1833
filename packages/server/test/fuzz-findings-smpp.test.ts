/**
 * Found by a black-box fuzz campaign: the simulator SMSC accepted a submit_sm with an empty
 * destination_addr (ESME_ROK, a message id, a receipt scheduled for nobody), where an SMSC
 * answers ESME_RINVDSTADR, so an ESME that lost its destination passed against the simulator;
 * and one whose schedule_delivery_time or validity_period was no SMPP time (`garbage`, a 13th
 * month), where an SMSC answers ESME_RINVSCHED or ESME_RINVEXPIRY.
 * Real sockets to the SMSC of a test server, on each store backend (the suite's pass decides).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePdu, encodePdu, type Pdu, type ShortMessagePdu } from '../src/carriers/smpp/pdu/codec.js';
import { STATUS } from '../src/carriers/smpp/pdu/constants.js';
import { PduFramer } from '../src/carriers/smpp/pdu/framer.js';
import { freePort } from './helpers/built-server.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let socket: Socket | undefined;
beforeAll(async () => {
  server = await startTestServer({ simulatorSmscEnabled: true, simulatorSmscPort: await freePort() });
});
afterAll(async () => {
  socket?.destroy();
  await server?.stop();
});

/** A transceiver bound to the test server's SMSC, and every PDU it reads. */
async function bound(): Promise<{ s: Socket; seen: Pdu[] }> {
  const s = await new Promise<Socket>((resolve, reject) => {
    const c = connect({ port: server.smsc!.port, host: '127.0.0.1' }, () => resolve(c));
    c.on('error', reject);
  });
  socket = s;
  const seen: Pdu[] = [];
  const framer = new PduFramer();
  s.on('data', (chunk: Buffer) => {
    for (const f of framer.push(chunk).frames) {
      const d = decodePdu(f);
      if (d.ok) seen.push(d.pdu);
    }
  });
  s.write(encodePdu({ command: 'bind_transceiver', sequence: 1, status: 0, systemId: 'switchboard', password: 'secret', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' }));
  await expect.poll(() => seen.find((p) => p.command === 'bind_transceiver_resp')?.status).toBe(0);
  return { s, seen };
}

const submit = (sequence: number, to: string, text: string, times: { scheduleDeliveryTime?: string; validityPeriod?: string } = {}): ShortMessagePdu => ({
  command: 'submit_sm', sequence, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '15551230001' }, destination: { ton: 1, npi: 1, addr: to },
  esmClass: 0, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: times.scheduleDeliveryTime ?? '', validityPeriod: times.validityPeriod ?? '', registeredDelivery: 1, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
  shortMessage: Buffer.from(text, 'latin1'), tlvs: [],
});

describe('a submit_sm to the simulator SMSC without a destination', () => {
  it('is answered ESME_RINVDSTADR and kept nowhere; one with a destination is still accepted', async () => {
    const { s, seen } = await bound();
    s.write(encodePdu(submit(2, '', 'no destination')));
    s.write(encodePdu(submit(3, '15551239999', 'with destination')));
    await expect.poll(() => seen.filter((p) => p.command === 'submit_sm_resp').length).toBe(2);
    const answers = new Map(seen.filter((p) => p.command === 'submit_sm_resp').map((p) => [p.sequence, p.status]));
    expect(answers.get(2)).toBe(STATUS.ESME_RINVDSTADR);
    expect(answers.get(3)).toBe(STATUS.ESME_ROK);
    const view = await server.api('/api/simulator/smsc');
    expect(view.status).toBe(200);
    const texts = view.body.recent_submissions.map((x: { text: string }) => x.text);
    expect(texts).toContain('with destination');
    expect(texts).not.toContain('no destination');
  });
});

describe('a submit_sm to the simulator SMSC with a time it cannot read', () => {
  it('is answered ESME_RINVSCHED or ESME_RINVEXPIRY; absolute and relative times are still accepted', async () => {
    socket?.destroy();
    const { s, seen } = await bound();
    const cases: Array<[number, { scheduleDeliveryTime?: string; validityPeriod?: string }, number]> = [
      [10, { validityPeriod: 'garbage' }, STATUS.ESME_RINVEXPIRY],
      [11, { validityPeriod: '301301000000000+' }, STATUS.ESME_RINVEXPIRY],
      [12, { scheduleDeliveryTime: '991231235959000X' }, STATUS.ESME_RINVSCHED],
      [13, { scheduleDeliveryTime: '000001000000004R' }, STATUS.ESME_RINVSCHED],
      [14, { validityPeriod: '301231235959000+' }, STATUS.ESME_ROK],
      [15, { validityPeriod: '000001000000000R', scheduleDeliveryTime: '' }, STATUS.ESME_ROK],
      [16, { validityPeriod: '301231235959148-' }, STATUS.ESME_ROK],
    ];
    for (const [sequence, times] of cases) s.write(encodePdu(submit(sequence, '15551239999', `times ${sequence}`, times)));
    await expect.poll(() => seen.filter((p) => p.command === 'submit_sm_resp').length).toBe(cases.length);
    const answers = new Map(seen.filter((p) => p.command === 'submit_sm_resp').map((p) => [p.sequence, p.status]));
    for (const [sequence, times, status] of cases) expect([sequence, times, answers.get(sequence)]).toEqual([sequence, times, status]);
  });
});
