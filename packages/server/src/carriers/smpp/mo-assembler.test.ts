import { beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../domain/ports/carrier.js';
import { StoreUnavailableError } from '../../domain/ports/store.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import type { KyselyStore } from '../../store/kysely-store.js';
import { parseSmppSection } from './config.js';
import { newCounters, type SmppContext } from './context.js';
import { DEFER_PARTS_AFTER_STORAGE_FAILURE_MS, inboundAddress, MAX_MO_CHARS, MoAssembler } from './mo-assembler.js';
import { intTlv, type ShortMessagePdu } from './pdu/codec.js';
import { ESM_CLASS, STATUS, TLV } from './pdu/constants.js';

const at = (ton: number, addr: string, cc: string | null = null, unknownTon: 'international' | 'national' = 'international') =>
  inboundAddress({ ton, npi: 1, addr }, { nationalCountryCode: cc, unknownTon });

describe('inboundAddress: one key per handset whatever TON the SMSC writes', () => {
  it('writes international numbers as E.164 whether the SMSC says TON 1, 0 or 2, with 00 or a +', () => {
    for (const ton of [0, 1]) expect(at(ton, '15551234567')).toBe('+15551234567');
    expect(at(2, '0015551234567')).toBe('+15551234567');
    expect(at(0, '0015551234567')).toBe('+15551234567');
    expect(at(0, '+15551234567')).toBe('+15551234567');
    expect(at(1, ' 447700900123 ')).toBe('+447700900123');
  });

  it('places national numbers with the configured country code, trunk prefix dropped', () => {
    expect(at(2, '07700900123', '44')).toBe('+447700900123');
    // Italy and San Marino have no trunk prefix: a landline's leading 0 is part of the number.
    expect(at(2, '0612345678', '39')).toBe('+390612345678');
    expect(at(2, '3123456789', '39')).toBe('+393123456789');
    expect(at(2, '0549123456', '378')).toBe('+3780549123456');
    expect(at(0, '07700900123', '44')).toBe('+447700900123');
    expect(at(2, '5551234567', '1')).toBe('+15551234567');
    expect(at(2, '15551234567', '1')).toBe('+15551234567');
    // An SMSC whose unknown TON means national (a country with no trunk prefix, or NANP's ten digits).
    expect(at(0, '612345678', '34', 'national')).toBe('+34612345678');
    expect(at(0, '5551234567', '1', 'national')).toBe('+15551234567');
    expect(at(0, '15551234567', '1', 'national')).toBe('+15551234567');
    expect(at(0, '5551234567', '1')).toBe('+5551234567');
    // Unknown TON without a trunk 0 is international even when a country code is configured.
    expect(at(0, '447700900123', '1')).toBe('+447700900123');
  });

  it('leaves short codes, alphanumerics and national numbers it cannot place as they came', () => {
    expect(at(0, '12345')).toBe('12345');
    expect(at(3, '15551234567')).toBe('15551234567');
    expect(at(5, 'ACME')).toBe('ACME');
    expect(at(0, '07700900123')).toBe('07700900123');
    expect(at(2, '07700900123')).toBe('07700900123');
    // National (TON 2) with no country code configured: a + would make it another country's number
    // (+7700900123 is Russian), and a reply would go to a stranger.
    expect(at(2, '7700900123')).toBe('7700900123');
    expect(at(2, '5551234567')).toBe('5551234567');
  });
});

describe('MoAssembler: multipart MOs from an SMSC that resends, reuses references, or meets a failing database', () => {
  // Parts are kept in storage before they are acknowledged (mo_parts).
  let store: KyselyStore;
  beforeEach(async () => {
    await store?.close();
    store = await openSqliteStore({ file: ':memory:' });
  });
  function assembler(inbound: (m: InboundMessage) => void | Promise<void>, warnings: string[] = []) {
    const config = parseSmppSection({ connectors: [{ id: 'mo', host: '127.0.0.1', port: 1, systemId: 'sw', password: 'pw' }], routes: [] }).connectors[0]!;
    let now = 1_000_000;
    const ctx: SmppContext = {
      config,
      deps: { store, logger: { info() {}, warn: (_f: unknown, m: string) => void warnings.push(m), error() {} }, now: () => now },
      counters: newCounters(),
      sink: () => ({ report() {}, inbound: async (ms: readonly InboundMessage[]) => (await inbound(ms[0]!), [{ routed: true }]) }) as never,
    };
    return { mo: new MoAssembler(ctx), ctx, advance: (ms: number) => (now += ms), now: () => now };
  }
  /** Part `seq` of `total` under 8-bit reference `ref`, GSM-7 unpacked. */
  const part = (ref: number, total: number, seq: number, text: string): ShortMessagePdu => ({
    command: 'deliver_sm', sequence: seq, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
    esmClass: ESM_CLASS.UDHI, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
    shortMessage: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref, total, seq]), Buffer.from(text, 'latin1')]), tlvs: [],
  });

  it('keeps the parts it acknowledged when storing the whole message fails, so the resent last part completes it', async () => {
    const got: string[] = [];
    let fail = true;
    const { mo } = assembler((m) => {
      if (fail) throw new Error('database down');
      got.push(m.body);
    });
    expect(await mo.onMo(part(7, 2, 1, 'Hello '))).toBe(0);
    await expect(mo.onMo(part(7, 2, 2, 'world'))).rejects.toThrow('database down');
    fail = false;
    // The session answered ESME_RX_T_APPN; the SMSC sends the last part again.
    expect(await mo.onMo(part(7, 2, 2, 'world'))).toBe(0);
    expect(got).toEqual(['Hello world']);
  });

  it('does not acknowledge parts it would only hold in memory while storage is failing; the SMSC sends them again', async () => {
    const got: string[] = [];
    let failing = true;
    const { mo, ctx, advance } = assembler((m) => {
      if (failing) throw new StoreUnavailableError('database or disk is full');
      got.push(m.body);
    });
    // Message 7's first part came before anything failed: taken. Storing it whole fails.
    expect(await mo.onMo(part(7, 2, 1, 'Hello '))).toBe(STATUS.ESME_ROK);
    await expect(mo.onMo(part(7, 2, 2, 'world'))).rejects.toThrow('disk is full');
    // Storage is known to fail now: a new message's first part is not taken (a crash would lose it
    // after the SMSC was told it had been), nor a second one of a message not complete with it.
    expect(await mo.onMo(part(8, 3, 1, 'one '))).toBe(STATUS.ESME_RX_T_APPN);
    expect(await mo.onMo(part(8, 3, 2, 'two '))).toBe(STATUS.ESME_RX_T_APPN);
    expect(ctx.counters.mo_deferred).toBe(2);
    // Message 7's resent last part completes it: tried, and still failing.
    await expect(mo.onMo(part(7, 2, 2, 'world'))).rejects.toThrow('disk is full');
    // Storage is back: the resent last part stores message 7, and parts are taken again.
    failing = false;
    expect(await mo.onMo(part(7, 2, 2, 'world'))).toBe(STATUS.ESME_ROK);
    for (const [seq, text] of ['one ', 'two ', 'three'].entries()) expect(await mo.onMo(part(8, 3, seq + 1, text))).toBe(STATUS.ESME_ROK);
    expect(got).toEqual(['Hello world', 'one two three']);

    // A one-part MO that fails starts it again; without another failure it ends by itself.
    failing = true;
    await expect(mo.onMo({ ...part(0, 1, 1, ''), esmClass: 0, shortMessage: Buffer.from('hi', 'latin1') })).rejects.toThrow('disk is full');
    expect(await mo.onMo(part(9, 2, 1, 'a'))).toBe(STATUS.ESME_RX_T_APPN);
    advance(DEFER_PARTS_AFTER_STORAGE_FAILURE_MS);
    expect(await mo.onMo(part(9, 2, 1, 'a'))).toBe(STATUS.ESME_ROK);
  });

  it('acknowledges a part sent again after its message was delivered, without delivering it again as a fragment', async () => {
    const got: string[] = [];
    const { mo, ctx, advance, now } = assembler((m) => void got.push(m.body));
    await mo.onMo(part(9, 2, 1, 'one '));
    await mo.onMo(part(9, 2, 2, 'two'));
    await mo.onMo(part(9, 2, 2, 'two'));
    advance(ctx.config.moReassemblyMs + 1000);
    mo.flushStale(now());
    await mo.flushAll();
    expect(got).toEqual(['one two']);
    expect(ctx.counters).toMatchObject({ mo_duplicate_parts: 1, mo_incomplete: 0 });
  });

  it('takes a last part sent again while its message is being stored as the part it has, not the start of a fragment', async () => {
    const got: string[] = [];
    let release!: () => void;
    let entered!: () => void;
    const storing = new Promise<void>((r) => (entered = r));
    let fail = false;
    const { mo, ctx, advance, now } = assembler(async (m) => {
      if (got.length === 0 && !fail) await new Promise<void>((r) => ((release = r), entered()));
      if (fail) throw new Error('database down');
      got.push(m.body);
    });
    await mo.onMo(part(9, 2, 1, 'one '));
    const first = mo.onMo(part(9, 2, 2, 'two'));
    // The SMSC's deliver_sm_resp timer ran out while the message was stored: it sends the last part again.
    const again = mo.onMo(part(9, 2, 2, 'two'));
    await storing;
    release();
    expect(await first).toBe(STATUS.ESME_ROK);
    expect(await again).toBe(STATUS.ESME_ROK);
    advance(ctx.config.moReassemblyMs + 1000);
    mo.flushStale(now());
    await mo.flushAll();
    // Before, the resent part began a message of its own, delivered later as the fragment 'two'.
    expect(got).toEqual(['one two']);
    expect(ctx.counters).toMatchObject({ mo_duplicate_parts: 1, mo_incomplete: 0 });

    // When storing the first copy fails, the copy that waited tries again (failing too, it is to be
    // sent again); the parts are kept, and the next copy stores the message whole. Before, the copy
    // began a message of its own and the first part was dropped: 'four' came alone.
    fail = true;
    await mo.onMo(part(10, 2, 1, 'three '));
    const failing = mo.onMo(part(10, 2, 2, 'four'));
    const waited = mo.onMo(part(10, 2, 2, 'four'));
    await expect(failing).rejects.toThrow('database down');
    await expect(waited).rejects.toThrow('database down');
    fail = false;
    expect(await mo.onMo(part(10, 2, 2, 'four'))).toBe(STATUS.ESME_ROK);
    await mo.flushAll();
    expect(got).toEqual(['one two', 'three four']);
  });

  it('does not mix two messages that share a reference when the first lost a part', async () => {
    const got: string[] = [];
    const { mo, ctx } = assembler((m) => void got.push(m.body));
    await mo.onMo(part(3, 2, 1, 'first A, '));
    // Its part 2 never comes; the handset's next message reuses reference 3.
    await mo.onMo(part(3, 2, 1, 'second A, '));
    await mo.onMo(part(3, 2, 2, 'second B'));
    await new Promise((r) => setImmediate(r));
    expect(got.sort()).toEqual(['first A, ', 'second A, second B']);
    expect(ctx.counters.mo_incomplete).toBe(1);
  });

  it('reassembles parts that arrive out of order, once each', async () => {
    const got: string[] = [];
    const { mo } = assembler((m) => void got.push(m.body));
    await mo.onMo(part(5, 3, 3, 'c'));
    await mo.onMo(part(5, 3, 1, 'a'));
    await mo.onMo(part(5, 3, 1, 'a'));
    await mo.onMo(part(5, 3, 2, 'b'));
    expect(got).toEqual(['abc']);
  });

  it('holds a bounded number of characters of incomplete messages, however large their parts (message_payload)', async () => {
    const got: string[] = [];
    const { mo, ctx } = assembler((m) => void got.push(m.body));
    // Part 1 of 2 of 200 messages, each 60,000 characters in message_payload with SAR TLVs; no part 2 ever comes.
    const payload = Buffer.alloc(60_000, 0x41);
    for (let ref = 0; ref < 200; ref++) {
      const p = part(0, 2, 1, '');
      await mo.onMo({ ...p, esmClass: 0, shortMessage: Buffer.alloc(0), tlvs: [{ tag: TLV.message_payload, value: payload }, intTlv(TLV.sar_msg_ref_num, ref, 2), intTlv(TLV.sar_total_segments, 2, 1), intTlv(TLV.sar_segment_seqnum, 1, 1)] });
    }
    await new Promise((r) => setImmediate(r));
    // The oldest went out as they were, so that no more than MAX_MO_CHARS wait.
    const held = 200 - got.length;
    expect(held * 60_000).toBeLessThanOrEqual(MAX_MO_CHARS);
    expect(held).toBeGreaterThan(0);
    expect(ctx.counters.mo_incomplete).toBe(got.length);
  });

  it('holds a bounded number of characters while the incomplete messages it flushes wait for storage; parts past that are to be sent again', async () => {
    const pending: Array<{ body: string; done: () => void }> = [];
    const { mo, ctx } = assembler((m) => new Promise<void>((done) => void pending.push({ body: m.body, done })));
    // Part 1 of 2 of 400 messages, 60,000 characters each; storage takes none of them meanwhile.
    const payload = Buffer.alloc(60_000, 0x41);
    const first = (ref: number): ShortMessagePdu => ({ ...part(0, 2, 1, ''), esmClass: 0, shortMessage: Buffer.alloc(0), tlvs: [{ tag: TLV.message_payload, value: payload }, intTlv(TLV.sar_msg_ref_num, ref, 2), intTlv(TLV.sar_total_segments, 2, 1), intTlv(TLV.sar_segment_seqnum, 1, 1)] });
    const answers: number[] = [];
    for (let ref = 0; ref < 400; ref++) answers.push(await mo.onMo(first(ref)));
    const waiting = pending.reduce((n, p) => n + p.body.length, 0);
    // Before, all 400 were acknowledged and some 20 million characters waited in memory for storage.
    expect(waiting).toBeLessThanOrEqual(MAX_MO_CHARS + 60_000);
    expect(answers).toContain(STATUS.ESME_RX_T_APPN);
    expect(ctx.counters.mo_deferred).toBe(answers.filter((a) => a === STATUS.ESME_RX_T_APPN).length);
    // Once storage has taken them, parts are taken again.
    for (const p of pending.splice(0)) p.done();
    await new Promise((r) => setImmediate(r));
    expect(await mo.onMo(first(1000))).toBe(STATUS.ESME_ROK);
  });

  it('reads SAR TLVs naming more parts than one octet holds as no concatenation: delivered at once, nothing held for the parts', async () => {
    const got: string[] = [];
    const { mo } = assembler((m) => void got.push(m.body));
    // sar_total_segments is one octet; written in four it could name 2^28 parts (a slot each: the
    // server ran out of memory for one deliver_sm). A million is enough to see it held.
    const p = part(0, 2, 1, 'alone');
    const wide = (tag: number, value: number): { tag: number; value: Buffer } => ({ tag, value: Buffer.from([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]) });
    expect(await mo.onMo({ ...p, esmClass: 0, shortMessage: Buffer.from('alone', 'latin1'), tlvs: [intTlv(TLV.sar_msg_ref_num, 9, 2), wide(TLV.sar_total_segments, 1_000_000), wide(TLV.sar_segment_seqnum, 1)] })).toBe(STATUS.ESME_ROK);
    expect(got).toEqual(['alone']);
  });

  it('delivers the longest concatenated SMS a handset can send (255 parts of 160 characters) whole', async () => {
    const got: string[] = [];
    const { mo, ctx } = assembler((m) => void got.push(m.body));
    for (let seq = 1; seq <= 255; seq++) expect(await mo.onMo(part(11, 255, seq, String.fromCharCode(0x40 + (seq % 26)).repeat(160)))).toBe(STATUS.ESME_ROK);
    expect(got.map((b) => b.length)).toEqual([255 * 160]);
    expect(ctx.counters.mo_too_long).toBe(0);
  });

  it('drops a multipart MO longer than MAX_MO_MESSAGE_CHARS, refusing its parts from there on, with a count and a warning', async () => {
    const got: string[] = [];
    const warnings: string[] = [];
    const { mo, ctx, advance, now } = assembler((m) => void got.push(m.body), warnings);
    // 255 parts of 60,000 characters each in message_payload (SAR TLVs): some 15 MB if assembled.
    const payload = Buffer.alloc(60_000, 0x41);
    const big = (seq: number): ShortMessagePdu => ({ ...part(0, 255, seq, ''), esmClass: 0, shortMessage: Buffer.alloc(0), tlvs: [{ tag: TLV.message_payload, value: payload }, intTlv(TLV.sar_msg_ref_num, 77, 2), intTlv(TLV.sar_total_segments, 255, 1), intTlv(TLV.sar_segment_seqnum, seq, 1)] });
    const answers = [];
    for (let seq = 1; seq <= 255; seq++) answers.push(await mo.onMo(big(seq)));
    expect(answers[0]).toBe(STATUS.ESME_ROK);
    expect(answers.slice(1)).toEqual(Array(254).fill(STATUS.ESME_RX_P_APPN));
    expect(ctx.counters.mo_too_long).toBe(1);
    expect(warnings.filter((w) => /longer than any a handset sends/.test(w))).toHaveLength(1);
    // Nothing of it is delivered, not even as an incomplete message once its time is up.
    advance(ctx.config.moReassemblyMs + 1000);
    mo.flushStale(now());
    await mo.flushAll();
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([]);
    expect(ctx.counters.mo_incomplete).toBe(0);
    // Another message of the same handset is reassembled as usual.
    await mo.onMo(part(12, 2, 1, 'still '));
    await mo.onMo(part(12, 2, 2, 'here'));
    expect(got).toEqual(['still here']);
  });

  it('keeps a national (TON 2) sender as it came when no nationalCountryCode is set, and says so once', async () => {
    const got: InboundMessage[] = [];
    const warnings: string[] = [];
    const { mo } = assembler((m) => void got.push(m), warnings);
    const single = { ...part(0, 2, 1, 'hi'), esmClass: 0, shortMessage: Buffer.from('hi'), source: { ton: 2, npi: 1, addr: '7700900123' } };
    await mo.onMo(single);
    await mo.onMo(single);
    expect(got.map((m) => m.from)).toEqual(['7700900123', '7700900123']);
    expect(warnings.filter((w) => /TON 2/.test(w))).toHaveLength(1);
  });
});

