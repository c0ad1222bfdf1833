/**
 * Found by a black-box fuzz campaign: the simulator SMSC accepted a submit_sm with an empty
 * destination_addr (ESME_ROK, a message id, a receipt scheduled for nobody), where an SMSC
 * answers ESME_RINVDSTADR, so an ESME that lost its destination passed against the simulator;
 * and one whose schedule_delivery_time or validity_period was no SMPP time (`garbage`, a 13th
 * month), where an SMSC answers ESME_RINVSCHED or ESME_RINVEXPIRY; and one with a reserved
 * priority_flag (above 3), esm_class message type or data_coding, where an SMSC answers
 * ESME_RINVPRTFLG, ESME_RINVESMCLASS or ESME_RINVDCS.
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

type Fields = Partial<Pick<ShortMessagePdu, 'scheduleDeliveryTime' | 'validityPeriod' | 'esmClass' | 'priorityFlag' | 'dataCoding'>>;
const submit = (sequence: number, to: string, text: string, fields: Fields = {}): ShortMessagePdu => ({
  command: 'submit_sm', sequence, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '15551230001' }, destination: { ton: 1, npi: 1, addr: to },
  esmClass: 0, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 1, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
  ...fields,
  shortMessage: Buffer.from(text, 'latin1'), tlvs: [],
});

/** Send each case's submit_sm on a fresh bind and check the status each is answered. */
async function answered(cases: ReadonlyArray<readonly [number, Fields, number]>): Promise<void> {
  socket?.destroy();
  const { s, seen } = await bound();
  for (const [sequence, fields] of cases) s.write(encodePdu(submit(sequence, '15551239999', `fields ${sequence}`, fields)));
  await expect.poll(() => seen.filter((p) => p.command === 'submit_sm_resp').length).toBe(cases.length);
  expect(seen.some((p) => p.command === 'generic_nack')).toBe(false);
  const answers = new Map(seen.filter((p) => p.command === 'submit_sm_resp').map((p) => [p.sequence, p.status]));
  for (const [sequence, fields, status] of cases) expect([sequence, fields, answers.get(sequence)]).toEqual([sequence, fields, status]);
}

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

describe('a submit_sm to the simulator SMSC with a reserved priority_flag, esm_class or data_coding', () => {
  it('is answered ESME_RINVPRTFLG, ESME_RINVESMCLASS or ESME_RINVDCS', async () => {
    await answered([
      [20, { priorityFlag: 4 }, STATUS.ESME_RINVPRTFLG],
      [21, { priorityFlag: 255 }, STATUS.ESME_RINVPRTFLG],
      // Message types a submit_sm cannot have: an SMSC delivery receipt's, an intermediate notification's, reserved ones.
      [22, { esmClass: 0x04 }, STATUS.ESME_RINVESMCLASS],
      [23, { esmClass: 0x20 }, STATUS.ESME_RINVESMCLASS],
      [24, { esmClass: 0x3c }, STATUS.ESME_RINVESMCLASS],
      [25, { dataCoding: 0x0b }, STATUS.ESME_RINVDCS],
      [26, { dataCoding: 0x0c }, STATUS.ESME_RINVDCS],
      [27, { dataCoding: 0x0f }, STATUS.ESME_RINVDCS],
      [28, { dataCoding: 0x1c }, STATUS.ESME_RINVDCS],
      [29, { dataCoding: 0x80 }, STATUS.ESME_RINVDCS],
      [30, { dataCoding: 0xbf }, STATUS.ESME_RINVDCS],
    ]);
  });

  it('accepts every value SMPP v3.4 or GSM 03.38 gives a meaning, as Kannel and our connector send them', async () => {
    await answered([
      [40, { priorityFlag: 3 }, STATUS.ESME_ROK],
      // Store and forward with a reply path, an ESME delivery acknowledgement, a manual acknowledgement.
      [41, { esmClass: 0x83 }, STATUS.ESME_ROK],
      [42, { esmClass: 0x08 }, STATUS.ESME_ROK],
      [43, { esmClass: 0x10 }, STATUS.ESME_ROK],
      [44, { dataCoding: 0x01 }, STATUS.ESME_ROK],
      [45, { dataCoding: 0x03 }, STATUS.ESME_ROK],
      [46, { dataCoding: 0x0e }, STATUS.ESME_ROK],
      // Kannel's message class (flash: 0x10), message waiting (0xC0–0xEF) and alt-dcs (0xF0–0xFF) codings.
      [47, { dataCoding: 0x10 }, STATUS.ESME_ROK],
      [48, { dataCoding: 0x11 }, STATUS.ESME_ROK],
      [49, { dataCoding: 0xc0 }, STATUS.ESME_ROK],
      [50, { dataCoding: 0xe0 }, STATUS.ESME_ROK],
      [51, { dataCoding: 0xf1 }, STATUS.ESME_ROK],
    ]);
  });
});
