import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePdu, encodePdu, intTlv, stringTlv, tlvInt, tlvString, type Pdu } from './codec.js';
import { STATUS, TLV } from './constants.js';
import { PduFramer } from './framer.js';

const submit: Pdu = {
  command: 'submit_sm',
  sequence: 7,
  status: 0,
  serviceType: '',
  source: { ton: 1, npi: 1, addr: '15551230001' },
  destination: { ton: 1, npi: 1, addr: '447700900123' },
  esmClass: 0x40,
  protocolId: 0,
  priorityFlag: 0,
  scheduleDeliveryTime: '',
  validityPeriod: '260101120000000+',
  registeredDelivery: 1,
  replaceIfPresent: 0,
  dataCoding: 8,
  smDefaultMsgId: 0,
  shortMessage: Buffer.from([5, 0, 3, 1, 2, 1, 0, 0x48]),
  tlvs: [intTlv(TLV.user_message_reference, 42, 2)],
};

const samples: Pdu[] = [
  { command: 'bind_transceiver', sequence: 1, status: 0, systemId: 'switchboard', password: 'secret', systemType: 'VMA', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' },
  { command: 'bind_transmitter_resp', sequence: 1, status: 0, systemId: 'SMSC', tlvs: [intTlv(TLV.sc_interface_version, 0x34, 1)] },
  { command: 'bind_receiver_resp', sequence: 9, status: STATUS.ESME_RINVPASWD, systemId: '', tlvs: [] },
  { command: 'enquire_link', sequence: 2, status: 0 },
  { command: 'enquire_link_resp', sequence: 2, status: 0 },
  { command: 'unbind', sequence: 3, status: 0 },
  { command: 'unbind_resp', sequence: 3, status: 0 },
  { command: 'generic_nack', sequence: 4, status: STATUS.ESME_RINVCMDID },
  submit,
  { ...submit, command: 'deliver_sm', esmClass: 4, shortMessage: Buffer.from('id:1 stat:DELIVRD err:000'), tlvs: [stringTlv(TLV.receipted_message_id, '1'), intTlv(TLV.message_state, 2, 1)] } as Pdu,
  { command: 'submit_sm_resp', sequence: 7, status: 0, messageId: 'A1B2', tlvs: [] },
  { command: 'submit_sm_resp', sequence: 8, status: STATUS.ESME_RTHROTTLED, messageId: '', tlvs: [] },
  { command: 'deliver_sm_resp', sequence: 9, status: 0, messageId: '', tlvs: [] },
  { command: 'data_sm', sequence: 10, status: 0, serviceType: '', source: { ton: 0, npi: 0, addr: 'a' }, destination: { ton: 1, npi: 1, addr: '1' }, esmClass: 0, registeredDelivery: 0, dataCoding: 0, tlvs: [{ tag: TLV.message_payload, value: Buffer.from('hello') }] },
  { command: 'data_sm_resp', sequence: 10, status: 0, messageId: 'x', tlvs: [] },
  { command: 'query_sm', sequence: 11, status: 0, messageId: '99', source: { ton: 1, npi: 1, addr: '1555' } },
  { command: 'query_sm_resp', sequence: 11, status: 0, messageId: '99', finalDate: '', messageState: 2, errorCode: 0 },
];

describe('the SMPP PDU codec', () => {
  it('round-trips every PDU it knows', () => {
    for (const pdu of samples) {
      const frame = encodePdu(pdu);
      expect(frame.readUInt32BE(0)).toBe(frame.length);
      const back = decodePdu(frame);
      expect(back.ok, pdu.command).toBe(true);
      if (back.ok) expect(back.pdu).toEqual(pdu);
    }
  });

  it('reads a submit_sm written byte by byte from the specification layout', () => {
    const body = Buffer.concat([
      Buffer.from('\0'), // service_type
      Buffer.from([1, 1]), Buffer.from('4477\0'),
      Buffer.from([1, 1]), Buffer.from('1555\0'),
      Buffer.from([0, 0, 0]), Buffer.from('\0'), Buffer.from('\0'),
      Buffer.from([1, 0, 0, 0, 2]), Buffer.from('hi'),
    ]);
    const head = Buffer.alloc(16);
    head.writeUInt32BE(16 + body.length, 0);
    head.writeUInt32BE(4, 4);
    head.writeUInt32BE(0, 8);
    head.writeUInt32BE(5, 12);
    const r = decodePdu(Buffer.concat([head, body]));
    expect(r.ok).toBe(true);
    if (r.ok && r.pdu.command === 'submit_sm') {
      expect(r.pdu.source.addr).toBe('4477');
      expect(r.pdu.destination.addr).toBe('1555');
      expect(r.pdu.registeredDelivery).toBe(1);
      expect(r.pdu.shortMessage.toString()).toBe('hi');
    }
  });

  it('reads TLV values by tag', () => {
    const tlvs = [intTlv(TLV.sar_msg_ref_num, 513, 2), stringTlv(TLV.receipted_message_id, 'abc')];
    expect(tlvInt(tlvs, TLV.sar_msg_ref_num)).toBe(513);
    expect(tlvString(tlvs, TLV.receipted_message_id)).toBe('abc');
    expect(tlvInt(tlvs, TLV.message_state)).toBeUndefined();
  });

  it('names what is wrong with a malformed frame instead of throwing', () => {
    const frame = Buffer.from(encodePdu(submit));
    expect(decodePdu(frame.subarray(0, 10))).toMatchObject({ ok: false });
    const unknown = Buffer.from(encodePdu({ command: 'enquire_link', sequence: 3, status: 0 }));
    unknown.writeUInt32BE(0x12345, 4);
    expect(decodePdu(unknown)).toMatchObject({ ok: false, status: STATUS.ESME_RINVCMDID, sequence: 3 });
    const cut = Buffer.from(frame.subarray(0, 30));
    cut.writeUInt32BE(30, 0);
    const r = decodePdu(cut);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/submit_sm/);
    const noNul = encodePdu({ command: 'bind_transmitter', sequence: 1, status: 0, systemId: 'x', password: 'y', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' });
    noNul.fill(0x41, 16);
    expect(decodePdu(noNul)).toMatchObject({ ok: false, sequence: 1 });
  });

  it("reads a response's message_id that ends the PDU without its NUL, and reports the header's status of a response it cannot read", () => {
    const resp = (body: Buffer, status = 0) => {
      const head = Buffer.alloc(16);
      head.writeUInt32BE(16 + body.length, 0);
      head.writeUInt32BE(0x80000004, 4);
      head.writeUInt32BE(status, 8);
      head.writeUInt32BE(9, 12);
      return Buffer.concat([head, body]);
    };
    expect(decodePdu(resp(Buffer.from('0A1F')))).toEqual({ ok: true, pdu: { command: 'submit_sm_resp', sequence: 9, status: 0, messageId: '0A1F', tlvs: [] } });
    expect(decodePdu(resp(Buffer.from('x'.repeat(80))))).toMatchObject({ ok: false, sequence: 9, commandStatus: 0 });
    expect(decodePdu(resp(Buffer.from(`${'x'.repeat(80)}\0`), STATUS.ESME_RTHROTTLED))).toMatchObject({ ok: false, sequence: 9, commandStatus: STATUS.ESME_RTHROTTLED });
    // A readable id followed by a TLV that overruns the PDU: the id is still reported.
    expect(decodePdu(resp(Buffer.from([0x41, 0x42, 0x00, 0x04, 0x27, 0x00, 0x09, 0x01])))).toMatchObject({ ok: false, sequence: 9, commandStatus: 0, messageId: 'AB' });
  });

  it('refuses to encode values the wire cannot carry', () => {
    expect(() => encodePdu({ ...(submit as any), shortMessage: Buffer.alloc(255) })).toThrow(/254/);
    expect(() => encodePdu({ command: 'bind_transmitter', sequence: 1, status: 0, systemId: 'x'.repeat(16), password: '', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' })).toThrow(/system_id/);
  });
});

describe('fuzzing the decoder', () => {
  it('never throws on arbitrary bytes with a consistent length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.constantFrom(...[0x80000000, 1, 2, 3, 4, 5, 6, 9, 0x15, 0x103, 0x80000001, 0x80000004, 0x80000005, 0x80000003, 0x7777]), fc.nat(), (bytes, id, status) => {
        const frame = Buffer.alloc(16 + bytes.length);
        frame.writeUInt32BE(frame.length, 0);
        frame.writeUInt32BE(id >>> 0, 4);
        frame.writeUInt32BE(status >>> 0, 8);
        frame.writeUInt32BE(1, 12);
        Buffer.from(bytes).copy(frame, 16);
        const r = decodePdu(frame);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on valid frames with bytes flipped, cut or appended', () => {
    const frames = samples.map((p) => encodePdu(p));
    fc.assert(
      fc.property(fc.constantFrom(...frames), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.integer({ min: -20, max: 20 }), (frame, flips, resize) => {
        const f = Buffer.from(frame);
        for (const [at, v] of flips) if (at % f.length >= 16) f[at % f.length] = v;
        const len = Math.max(16, f.length + resize);
        const g = Buffer.alloc(len);
        f.copy(g, 0, 0, Math.min(f.length, len));
        g.writeUInt32BE(len, 0);
        const r = decodePdu(g);
        if (r.ok) expect(encodePdu(r.pdu).length).toBeGreaterThanOrEqual(16);
      }),
      { numRuns: 3000 },
    );
  });

  it('the framer yields the same frames however the stream is cut, and stops at hostile lengths without allocating them', () => {
    const frames = samples.map((p) => encodePdu(p));
    const stream = Buffer.concat(frames);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }), (cuts) => {
        const framer = new PduFramer(1000);
        const out: Buffer[] = [];
        let at = 0;
        for (const c of cuts) {
          if (at >= stream.length) break;
          out.push(...framer.push(stream.subarray(at, at + c)).frames.map((x) => Buffer.from(x)));
          at += c;
        }
        if (at < stream.length) out.push(...framer.push(stream.subarray(at)).frames);
        expect(Buffer.concat(out).equals(stream)).toBe(true);
        expect(framer.buffered).toBe(0);
      }),
      { numRuns: 500 },
    );
    const framer = new PduFramer(1000);
    const hostile = Buffer.alloc(8);
    hostile.writeUInt32BE(0xffffffff, 0);
    const r = framer.push(hostile);
    expect(r.error).toMatch(/outside/);
    expect(framer.buffered).toBe(0);
    const tiny = new PduFramer(1000).push(Buffer.from([0, 0, 0, 3]));
    expect(tiny.error).toMatch(/outside/);
    expect(r.sequence).toBeUndefined();
    // A whole bad header, alone or after good frames, in one read or several: its sequence number is read for the generic_nack.
    const bad = Buffer.alloc(16);
    bad.writeUInt32BE(0x80000000, 0);
    bad.writeUInt32BE(0x15, 4);
    bad.writeUInt32BE(99, 12);
    expect(new PduFramer(1000).push(Buffer.concat([frames[3]!, bad]))).toMatchObject({ frames: [frames[3]], sequence: 99 });
    const split = new PduFramer(1000);
    expect(split.push(bad.subarray(0, 2)).error).toBeUndefined();
    expect(split.push(bad.subarray(2, 6))).toMatchObject({ error: expect.stringMatching(/outside/) });
    const late = new PduFramer(1000);
    late.push(bad.subarray(0, 3));
    expect(late.push(bad.subarray(3))).toMatchObject({ sequence: 99 });
  });
});
