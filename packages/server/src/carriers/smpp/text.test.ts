import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from './receipt-policy.js';
import { normaliseId } from './message-ids.js';
import { formatReceiptText, parseReceipt, receiptText } from './receipt.js';
import { receiptOutcome, classifySubmitStatus } from './error-codes.js';
import { intTlv, stringTlv } from './pdu/codec.js';
import { ESM_CLASS, STATUS, TLV } from './pdu/constants.js';
import { decodeInbound, encodeOutbound, type GsmWireEncoding, type SplitMethod } from './text.js';

function roundTrip(text: string, gsmEncoding: GsmWireEncoding, split: SplitMethod): { text: string; parts: number } {
  const parts = encodeOutbound(text, { gsmEncoding, split }, 300);
  const decoded = parts.map((p) => decodeInbound({ shortMessage: p.shortMessage, dataCoding: p.dataCoding, esmClass: p.esmClassBits, tlvs: p.tlvs }, gsmEncoding === 'gsm7-packed'));
  decoded.forEach((d, i) => {
    if (parts.length > 1 && split !== 'payload') expect(d.concat).toMatchObject({ total: parts.length, seq: i + 1 });
  });
  return { text: decoded.map((d) => d.text).join(''), parts: parts.length };
}

describe('message text on the SMPP wire', () => {
  it('sends a short GSM-7 text as one part without a UDH', () => {
    const [p] = encodeOutbound('Hello {world} €', { gsmEncoding: 'gsm7', split: 'udh8' }, 1);
    expect(p!.dataCoding).toBe(0);
    expect(p!.esmClassBits).toBe(0);
    expect(decodeInbound({ shortMessage: p!.shortMessage, dataCoding: 0, esmClass: 0, tlvs: [] }, false).text).toBe('Hello {world} €');
  });

  it('splits long GSM-7 into 153-septet parts with an 8-bit reference UDH, 152 with a 16-bit one', () => {
    const text = 'x'.repeat(400);
    const udh8 = encodeOutbound(text, { gsmEncoding: 'gsm7', split: 'udh8' }, 0x1234);
    expect(udh8.map((p) => p.shortMessage.length - 6)).toEqual([153, 153, 94]);
    expect([...udh8[0]!.shortMessage.subarray(0, 6)]).toEqual([5, 0, 3, 0x34, 3, 1]);
    expect(udh8[0]!.esmClassBits & ESM_CLASS.UDHI).toBeTruthy();
    const udh16 = encodeOutbound(text, { gsmEncoding: 'gsm7', split: 'udh16' }, 0x1234);
    expect([...udh16[1]!.shortMessage.subarray(0, 7)]).toEqual([6, 8, 4, 0x12, 0x34, 3, 2]);
    expect(udh16[0]!.shortMessage.length - 7).toBe(152);
  });

  it('never cuts an emoji in half when splitting UCS-2', () => {
    const text = 'Grüße 👋🏽 ' + '🙂'.repeat(60);
    const parts = encodeOutbound(text, { gsmEncoding: 'gsm7', split: 'udh8' }, 9);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.dataCoding).toBe(8);
      const first = p.shortMessage.readUInt16BE(6);
      expect(first >= 0xdc00 && first <= 0xdfff).toBe(false);
      expect(p.shortMessage.length - 6).toBeLessThanOrEqual(134);
    }
    expect(roundTrip(text, 'gsm7', 'udh8').text).toBe(text);
  });

  it('carries parts in SAR TLVs or the whole text in message_payload when configured', () => {
    const text = 'Long message. '.repeat(30);
    const sar = encodeOutbound(text, { gsmEncoding: 'gsm7', split: 'sar' }, 77);
    expect(sar.length).toBe(3);
    expect(sar[2]!.tlvs.map((t) => t.tag)).toEqual([TLV.sar_msg_ref_num, TLV.sar_total_segments, TLV.sar_segment_seqnum]);
    const payload = encodeOutbound(text, { gsmEncoding: 'gsm7', split: 'payload' }, 77);
    expect(payload).toHaveLength(1);
    expect(payload[0]!.shortMessage.length).toBe(0);
    expect(roundTrip(text, 'gsm7', 'payload').text).toBe(text);
    expect(roundTrip(text, 'gsm7', 'sar').text).toBe(text);
  });

  it('round-trips any text through every encoding and split method', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 500 }), fc.array(fc.constantFrom('a', 'Δ', '€', '{', '\n', 'é', '👋', 'ж', ' '), { maxLength: 400 }).map((a) => a.join(''))),
        fc.constantFrom<GsmWireEncoding>('gsm7', 'gsm7-packed', 'latin1'),
        fc.constantFrom<SplitMethod>('udh8', 'udh16', 'sar', 'payload'),
        (text, enc, split) => {
          const t = text.replace(/[\ud800-\udfff]/g, (c, i: number, s: string) => (/[\ud800-\udbff][\udc00-\udfff]/.test(s.slice(i, i + 2)) || /[\ud800-\udbff][\udc00-\udfff]/.test(s.slice(i - 1, i + 1)) ? c : 'x'));
          const got = roundTrip(t, enc, split).text;
          // Packed GSM-7 may deliver a CR that ends a part on an octet boundary twice (TS 23.038 §6.1.2.3.1).
          if (enc === 'gsm7-packed' && got !== t) expect(got.replace(/\r\r/g, '\r')).toBe(t.replace(/\r\r/g, '\r'));
          else expect(got).toBe(t);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('keeps a trailing @ in packed GSM-7 whatever the fill (it is padded with CR, not read as padding)', () => {
    for (let n = 1; n <= 24; n++) {
      const text = `${'a'.repeat(n)}@`;
      for (const split of ['udh8', 'udh16', 'sar', 'payload'] as const) expect(roundTrip(text, 'gsm7-packed', split).text).toBe(text);
    }
  });

  it('keeps a trailing CR in packed GSM-7, doubled only where it ends exactly on an octet boundary', () => {
    for (let n = 1; n <= 24; n++) {
      const text = `${'a'.repeat(n)}\r`;
      const got = roundTrip(text, 'gsm7-packed', 'sar').text;
      expect([text, `${text}\r`]).toContain(got);
      if ((n + 1) % 8 !== 0) expect(got).toBe(text);
    }
  });

  it('reads the data_coding values SMPP reserves as the GSM 03.38 DCS an SMSC passed through', () => {
    const read = (dataCoding: number, bytes: Buffer) => decodeInbound({ shortMessage: bytes, dataCoding, esmClass: 0, tlvs: [] }, false).text;
    const ucs2 = Buffer.from([0x04, 0x1f, 0x04, 0x40, 0x04, 0x38, 0x00, 0x20, 0xd8, 0x3d, 0xde, 0x00]); // "При 😀"
    const gsm = Buffer.from([0x00, 0x48, 0x69, 0x11, 0x1b, 0x65]); // "@Hi_€" in GSM-7, unpacked
    // General group with a message class (0x18: UCS-2 flash), automatic deletion group, UCS-2 message waiting.
    for (const dc of [0x0b, 0x18, 0x19, 0x48, 0x58, 0xe0, 0xe8]) expect(read(dc, ucs2)).toBe('При 😀');
    // GSM-7 with a class (0x10 flash, 0x11), message waiting groups, reserved groups.
    for (const dc of [0x10, 0x11, 0x13, 0x40, 0xc0, 0xd3, 0x80, 0xf1]) expect(read(dc, gsm)).toBe('@Hi_€');
    // 8-bit with a class: octets as they came.
    expect(read(0x14, Buffer.from([0xe9, 0x41]))).toBe('éA');
    expect(read(0xf4, Buffer.from([0xe9, 0x41]))).toBe('éA');
    // SMPP's own values keep their meaning.
    expect(read(0x03, Buffer.from([0xe9, 0x41]))).toBe('éA');
    expect(read(0x08, ucs2)).toBe('При 😀');
  });

  it('decodes SMPP v3.4 Cyrillic (ISO-8859-5) and Hebrew (ISO-8859-8) texts', () => {
    const read = (dataCoding: number, bytes: number[]) => decodeInbound({ shortMessage: Buffer.from(bytes), dataCoding, esmClass: 0, tlvs: [] }, false).text;
    expect(read(0x06, [0xbf, 0xe0, 0xd8, 0xd2, 0xd5, 0xe2])).toBe('Привет');
    expect(read(0x07, [0xf9, 0xec, 0xe5, 0xed])).toBe('שלום');
  });

  it('decodes hostile inbound bytes without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 254 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (bytes, dc, esm) => {
        expect(typeof decodeInbound({ shortMessage: Buffer.from(bytes), dataCoding: dc, esmClass: esm, tlvs: [] }, dc % 2 === 0).text).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('delivery receipts', () => {
  /** The dates of the receipts below (submit date:2401011200 done date:2401011201). */
  const DATES = { submitted: Date.UTC(2024, 0, 1, 12, 0), done: Date.UTC(2024, 0, 1, 12, 1) };

  it('reads the submit and done dates, to the minute, as UTC; ones that are not dates are left out', () => {
    const r = (dates: string) => parseReceipt(`id:7 sub:001 dlvrd:001 ${dates} stat:DELIVRD err:000 text:hi`, []);
    expect(r('submit date:2401011200 done date:240101120159')).toMatchObject(DATES);
    expect(r('submit_date:2401011200 done_date:2401011201')).toMatchObject(DATES);
    for (const bad of ['submit date:2413011200 done date:2402301201', 'submit date:24010112 done date:2401011201999', 'submit date: done date:x']) {
      const parsed = r(bad)!;
      expect(parsed.outcome).toBe('delivered');
      expect('submitted' in parsed || 'done' in parsed).toBe(false);
    }
  });

  it('reads the Appendix B text and prefers TLVs when present', () => {
    const text = formatReceiptText({ id: '0A1F', submitted: new Date(0), done: new Date(0), stat: 'UNDELIV', err: '027', text: 'hello', delivered: false });
    expect(parseReceipt(text, [])).toEqual({ carrierId: '0A1F', outcome: 'undelivered', stat: 'UNDELIV', err: '027', submitted: 0, done: 0 });
    expect(parseReceipt('id:5 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:hi', [])).toMatchObject({ carrierId: '5', outcome: 'delivered', err: null });
    expect(parseReceipt('garbage', [stringTlv(TLV.receipted_message_id, 'abc'), intTlv(TLV.message_state, 3, 1)])).toMatchObject({ carrierId: 'abc', outcome: 'expired' });
    expect(parseReceipt('no id here', [])).toBeUndefined();
  });

  it('reads a stat word it does not know as intermediate, marked unknown; known final words keep their outcome', () => {
    const r = (stat: string) => parseReceipt(`id:7 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:${stat} err:000 text:hi`, []);
    for (const stat of ['SENT', 'PENDING', 'ACKED', 'BUFFERD', 'ENROUTE']) expect(r(stat)).toMatchObject({ carrierId: '7', outcome: 'intermediate', stat });
    expect(r('SENT')).toMatchObject({ unknownStat: true });
    expect(r('ACKED')!.unknownStat).toBeUndefined();
    for (const [stat, outcome] of [['DELIVRD', 'delivered'], ['UNDELIV', 'undelivered'], ['DELETED', 'undelivered'], ['UNKNOWN', 'undelivered'], ['REJECTD', 'rejected'], ['EXPIRED', 'expired']] as const) {
      expect(r(stat)).toEqual({ carrierId: '7', outcome, stat, err: null, ...DATES });
    }
  });

  it('reads the final words SMSCs use beyond Table B-2 as final, and the connector\'s own words first', () => {
    const r = (stat: string, words?: ReadonlyMap<string, 'delivered' | 'undelivered' | 'intermediate'>) =>
      parseReceipt(`id:7 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:${stat} err:000 text:hi`, [], words);
    for (const stat of ['FAILED', 'SYSERR', 'NOCRED', 'NOROUTE', 'SKIPPED']) expect(r(stat)).toEqual({ carrierId: '7', outcome: 'undelivered', stat, err: null, ...DATES });
    for (const stat of ['BARRED', 'BLIST']) expect(r(stat)).toMatchObject({ outcome: 'rejected' });
    expect(r('failed')).toMatchObject({ outcome: 'undelivered', stat: 'FAILED' });
    for (const stat of ['SUBMITD', 'SCHEDULED']) expect(r(stat)).toEqual({ carrierId: '7', outcome: 'intermediate', stat, err: null, ...DATES });
    const own = new Map([['FAILD', 'undelivered'], ['ACCEPTD', 'delivered']] as const);
    expect(r('FAILD', own)).toEqual({ carrierId: '7', outcome: 'undelivered', stat: 'FAILD', err: null, ...DATES });
    expect(r('ACCEPTD', own)).toMatchObject({ outcome: 'delivered' });
    expect(receiptOutcome(r('FAILED')!, new Map())).toEqual({ status: 'undelivered', error: 'UNKNOWN_DELIVERY_ERROR', detail: 'stat FAILED' });
  });

  it('reads message_state values of SMPP v5.0 (SCHEDULED, SKIPPED) and names any other for counting', () => {
    const id = stringTlv(TLV.receipted_message_id, 'abc');
    expect(parseReceipt('', [id, intTlv(TLV.message_state, 9, 1)])).toEqual({ carrierId: 'abc', outcome: 'undelivered', stat: 'SKIPPED', err: null });
    expect(parseReceipt('', [id, intTlv(TLV.message_state, 0, 1)])).toEqual({ carrierId: 'abc', outcome: 'intermediate', stat: 'SCHEDULED', err: null });
    expect(parseReceipt('', [id, intTlv(TLV.message_state, 5, 1)])).toMatchObject({ outcome: 'undelivered', stat: 'UNDELIV' });
    // A final state in the TLV wins over a word the text uses for an interim state.
    expect(parseReceipt('id:abc stat:SENT', [id, intTlv(TLV.message_state, 2, 1)])).toMatchObject({ outcome: 'delivered' });
    expect(parseReceipt('id:abc stat:FAILED', [intTlv(TLV.message_state, 77, 1)])).toMatchObject({ outcome: 'undelivered', stat: 'FAILED' });
    expect(parseReceipt('', [id, intTlv(TLV.message_state, 77, 1)])).toEqual({ carrierId: 'abc', outcome: 'intermediate', stat: 'STATE_77', err: null, unknownStat: true });
  });

  it('takes the receipt text from message_payload when short_message is empty (deliver_sm) or absent (data_sm)', () => {
    const text = Buffer.from('id:9 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:UNDELIV err:027 text:', 'latin1');
    const header = { sequence: 1, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '1' }, destination: { ton: 1, npi: 1, addr: '2' }, esmClass: 4, registeredDelivery: 0, dataCoding: 0 };
    const deliver = { ...header, command: 'deliver_sm', protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', replaceIfPresent: 0, smDefaultMsgId: 0, shortMessage: Buffer.alloc(0), tlvs: [{ tag: TLV.message_payload, value: text }] } as const;
    expect(parseReceipt(receiptText(deliver), [])).toMatchObject({ carrierId: '9', outcome: 'undelivered', err: '027' });
    expect(receiptText({ ...deliver, shortMessage: Buffer.from('id:1 stat:DELIVRD') })).toBe('id:1 stat:DELIVRD');
    expect(parseReceipt(receiptText({ ...header, command: 'data_sm', tlvs: deliver.tlvs }), [])).toMatchObject({ carrierId: '9', outcome: 'undelivered' });
    expect(receiptText({ ...deliver, tlvs: [{ tag: TLV.message_payload, value: Buffer.alloc(70_000, 0x41) }] }).length).toBe(512);
  });

  it('maps receipt errors and submit statuses onto the error catalogue', () => {
    expect(receiptOutcome({ carrierId: '1', outcome: 'undelivered', stat: 'UNDELIV', err: '27' }, new Map())).toMatchObject({ status: 'undelivered', error: 'HANDSET_UNREACHABLE' });
    expect(receiptOutcome({ carrierId: '1', outcome: 'undelivered', stat: 'UNDELIV', err: '999' }, new Map([['999', 'CARRIER_BLOCKED']]))).toMatchObject({ error: 'CARRIER_BLOCKED' });
    expect(receiptOutcome({ carrierId: '1', outcome: 'expired', stat: 'EXPIRED', err: null }, new Map())).toMatchObject({ error: 'VALIDITY_EXPIRED_AT_CARRIER' });
    expect(classifySubmitStatus(STATUS.ESME_RTHROTTLED, new Map())).toEqual({ kind: 'throttle' });
    expect(classifySubmitStatus(STATUS.ESME_RMSGQFUL, new Map())).toEqual({ kind: 'throttle' });
    expect(classifySubmitStatus(STATUS.ESME_RSYSERR, new Map())).toEqual({ kind: 'transient' });
    expect(classifySubmitStatus(STATUS.ESME_RINVDSTADR, new Map())).toEqual({ kind: 'reject', error: 'UNROUTABLE' });
    expect(classifySubmitStatus(0x401, new Map([[0x401, 'CARRIER_VIOLATION']]))).toEqual({ kind: 'reject', error: 'CARRIER_VIOLATION' });
  });

  it('normalises ids so hex, decimal, case and leading zeros meet', () => {
    expect(normaliseId('0001F', 'hex')).toBe('31');
    expect(normaliseId('1f', 'hex')).toBe(normaliseId('31', 'decimal'));
    expect(normaliseId('00031', 'decimal')).toBe('31');
    expect(normaliseId(' AbC0 ', 'text')).toBe(normaliseId('00abc0', 'text'));
    expect(normaliseId('xyz', 'hex')).toBeNull();
    expect(normaliseId('', 'text')).toBeNull();
    expect(normaliseId('9'.repeat(65), 'decimal')).toBeNull();
  });

  it('decides multipart messages by the configured policy', () => {
    const part = (partIndex: number, status: 'sent' | 'delivered' | 'undelivered', error: string | null = null) => ({ partIndex, partCount: 3, status, error, errorDetail: null });
    const mixed = [part(1, 'delivered'), part(2, 'sent'), part(3, 'undelivered', 'HANDSET_UNREACHABLE')];
    expect(decide('all', mixed)).toMatchObject({ status: 'undelivered', error: 'HANDSET_UNREACHABLE', detail: 'part 3 of 3' });
    expect(decide('first', mixed)).toEqual({ status: 'delivered' });
    expect(decide('last', mixed)).toMatchObject({ status: 'undelivered' });
    expect(decide('all', [part(1, 'delivered'), part(2, 'sent'), part(3, 'delivered')])).toBeUndefined();
    expect(decide('all', [part(1, 'delivered'), part(2, 'delivered'), part(3, 'delivered')])).toEqual({ status: 'delivered' });
    // a part re-sent after a dropped bind: one copy final is enough
    expect(decide('all', [part(1, 'delivered'), part(2, 'sent'), part(2, 'delivered'), part(3, 'delivered')])).toEqual({ status: 'delivered' });
  });
});
