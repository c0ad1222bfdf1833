/**
 * The connector against SMSCs that misbehave, each a few lines of `net` server on loopback: one
 * that accepts binds and drops them at once, and one that answers every submit_sm with a sequence
 * number nothing awaits. Neither may make the connector loop without bound. And one that sends
 * deliver_sm without a window may not make it hold them all.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../domain/ports/store.js';
import { BindPool } from './bind-pool.js';
import { parseSmppSection } from './config.js';
import { SmppConnector } from './connector.js';
import { newCounters, type SmppContext } from './context.js';
import type { Pdu } from './pdu/codec.js';
import { STATUS, TLV } from './pdu/constants.js';
import { MAX_PENDING_DELIVER_BYTES, MAX_PENDING_DELIVERS, WRITE_HIGH_WATER } from './session.js';
import { WARNINGS_PER_MINUTE } from './warn-limited.js';
import { closeSmscs, smscServer as smsc } from '../../../test/helpers/scripted-smsc.js';

afterEach(closeSmscs);

function context(port: number, extra: Record<string, unknown> = {}): SmppContext & { warnings: string[] } {
  const config = parseSmppSection({ connectors: [{ id: 'hostile', host: '127.0.0.1', port, systemId: 'sw', password: 'pw', throughput: 0, ...extra }], routes: [] }).connectors[0]!;
  const warnings: string[] = [];
  const logger = { info() {}, warn: (_f: unknown, m: string) => void warnings.push(m), error() {} };
  return { config, deps: { store: {} as Store, logger, now: Date.now }, counters: newCounters(), sink: () => undefined, warnings };
}

const receiptPdu = {
  command: 'deliver_sm', sequence: 1, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
  esmClass: 0x04, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0, shortMessage: Buffer.alloc(0), tlvs: [],
} as const;

const bindResp = (pdu: Pdu): Pdu => ({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status: 0, systemId: 'HOSTILE', tlvs: [] });

describe('the SMPP connector against hostile SMSCs', () => {
  it('backs off rebinding to an SMSC that accepts each bind and drops it at once', async () => {
    let binds = 0;
    const port = await smsc((pdu, reply, socket) => {
      if (!pdu.command.startsWith('bind_')) return;
      binds++;
      reply(bindResp(pdu));
      setTimeout(() => socket.destroy(), 5);
    });
    const ctx = context(port, { reconnectMinMs: 20, reconnectMaxMs: 400 });
    const pool = new BindPool(ctx, { submitAnswered() {}, deliver: async () => 0, bound() {}, unanswered() {} });
    pool.start();
    await new Promise((r) => setTimeout(r, 1500));
    await pool.stop(0);
    // Waits of 20, 40, 80, 160, 320, 400… ms: about 7 binds in 1.5 s. Starting over after each
    // bind (the old rule) rebinds every ~25 ms: about 50.
    expect(binds).toBeGreaterThanOrEqual(4);
    expect(binds).toBeLessThanOrEqual(10);
    expect(ctx.counters.disconnects).toBeGreaterThanOrEqual(binds - 1);
  });

  it('does not take a generic_nack with status 0 for a bind', async () => {
    const port = await smsc((pdu, reply) => {
      if (pdu.command.startsWith('bind_')) reply({ command: 'generic_nack', sequence: pdu.sequence, status: 0 });
    });
    const ctx = context(port, { reconnectMinMs: 50, reconnectMaxMs: 100 });
    const pool = new BindPool(ctx, { submitAnswered() {}, deliver: async () => 0, bound() {}, unanswered() {} });
    pool.start();
    try {
      await until(() => ctx.counters.bind_failures >= 2);
      expect(ctx.counters.binds).toBe(0);
      expect(pool.links()[0]!.lastError).toBe('bind answered with generic_nack');
    } finally {
      await pool.stop(0);
    }
  });

  it('gives a message back to the dispatcher after maxSubmitAttempts binds ended with it unanswered, and counts the stray answers', async () => {
    let submits = 0;
    const port = await smsc((pdu, reply) => {
      if (pdu.command.startsWith('bind_')) return reply(bindResp(pdu));
      if (pdu.command === 'enquire_link') return reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      if (pdu.command !== 'submit_sm') return;
      submits++;
      // Accepted, but answered under a sequence number nothing waits for.
      reply({ command: 'submit_sm_resp', sequence: pdu.sequence + 1000, status: 0, messageId: `id${submits}`, tlvs: [] });
    });
    // Not taken for stalled meanwhile (stalledAfterMs is the response timeout unless set).
    const ctx = context(port, { responseTimeoutMs: 150, stalledAfterMs: 60_000, reconnectMinMs: 10, reconnectMaxMs: 20, maxSubmitAttempts: 3 });
    const connector = new SmppConnector(ctx.config, ctx.deps);
    await connector.start({ report() {}, inbound: async () => undefined } as never);
    try {
      const [result] = await connector.submit([
        { messageId: 'm1', projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'hello', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Date.now() + 60_000 },
      ]);
      expect(result).toMatchObject({ outcome: 'transient', detail: expect.stringMatching(/unanswered 3 times/) });
      // Three copies, not one per rebind until the message expires.
      expect(submits).toBe(3);
      const counters = connector.status().counters;
      expect(counters.protocol_errors).toBeGreaterThanOrEqual(3);
      expect(counters.resent).toBe(2);
    } finally {
      await connector.stop();
    }
  });
});

describe('an SMSC that binds and answers no submit_sm', () => {
  it('has the message in its window given back after stalledAfterMs, and its late answer counted and recorded, and taken by the retry instead of a second copy', async () => {
    let held: Pdu | undefined;
    let reply: ((p: Pdu) => void) | undefined;
    let submits = 0;
    const port = await smsc((pdu, r) => {
      if (pdu.command.startsWith('bind_')) return r(bindResp(pdu));
      if (pdu.command === 'enquire_link') return r({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      if (pdu.command !== 'submit_sm') return;
      submits++;
      if (held) return r({ command: 'submit_sm_resp', sequence: pdu.sequence, status: 0, messageId: 'again', tlvs: [] });
      held = pdu; // swallowed, for now
      reply = r;
    });
    const ctx = context(port, { responseTimeoutMs: 60_000, stalledAfterMs: 3000, enquireLinkMs: 60_000 });
    const recorded: Array<{ messageId: string; carrierMessageId: string }> = [];
    const store = { transaction: async (fn: (tx: unknown) => unknown) => fn({ carrierParts: { insertMany: async (rows: typeof recorded) => void recorded.push(...rows) } }) };
    const available: string[] = [];
    const connector = new SmppConnector(ctx.config, { ...ctx.deps, store: store as never });
    await connector.start({ report() {}, inbound: async () => undefined, available: (id: string) => void available.push(id) } as never);
    const message = { messageId: 'm1', projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'hello', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Date.now() + 60_000 } as const;
    try {
      // Sent, in the window, never answered: given back rather than held until responseTimeoutMs.
      const [result] = await connector.submit([message]);
      expect(result).toMatchObject({ outcome: 'transient', detail: expect.stringMatching(/answered no submit_sm/) });
      expect(held).toBeDefined();
      // The SMSC answers it after all: counted and recorded (its receipt correlates), nothing thrown.
      reply!({ command: 'submit_sm_resp', sequence: held!.sequence, status: 0, messageId: 'late', tlvs: [] });
      await until(() => connector.status().counters.late_answers === 1 && recorded.length === 1);
      expect(recorded[0]).toMatchObject({ messageId: 'm1', carrierMessageId: 'late' });
      expect(ctx.warnings).toContain('SMSC answered a submit_sm after its message went back to the dispatcher');
      // It answers again: the engine is told, and the dispatcher's retry takes the late answer
      // rather than sending the message a second time.
      await until(() => available.length > 0);
      expect(available).toEqual(['hostile']);
      expect(await connector.submit([{ ...message, attempt: 2 }])).toEqual([{ outcome: 'accepted', carrierMessageId: 'late', parts: 1 }]);
      expect(submits).toBe(1);
      expect(connector.status().counters.adopted).toBe(1);
      // Taken once: a later retry (a new message's would be too) is sent.
      expect(await connector.submit([{ ...message, attempt: 3 }])).toEqual([{ outcome: 'accepted', carrierMessageId: 'again', parts: 1 }]);
    } finally {
      await connector.stop();
    }
  }, 20_000);
});

describe('an SMSC that answers submit_sm after stalledAfterMs but within responseTimeoutMs', () => {
  const message = (id: string, body = 'hello') =>
    ({ messageId: id, projectId: 'p1', from: '+15551230001', to: '+447700900001', body, media: [], kind: 'sms', encoding: 'GSM-7', segments: body.length > 160 ? 2 : 1, attempt: 1, expiresAt: Date.now() + 60_000 }) as const;

  async function slowSmsc(answerOf: (pdu: Pdu, n: number) => { delay: number; id: string } | undefined) {
    const seen: Pdu[] = [];
    const port = await smsc((pdu, r) => {
      if (pdu.command.startsWith('bind_')) return r(bindResp(pdu));
      if (pdu.command === 'enquire_link') return r({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      if (pdu.command !== 'submit_sm') return;
      seen.push(pdu);
      const a = answerOf(pdu, seen.length);
      if (a) setTimeout(() => r({ command: 'submit_sm_resp', sequence: pdu.sequence, status: 0, messageId: a.id, tlvs: [] }), a.delay);
    });
    return { port, seen };
  }

  async function started(port: number, extra: Record<string, unknown>) {
    const ctx = context(port, { enquireLinkMs: 60_000, ...extra });
    const store = { transaction: async (fn: (tx: unknown) => unknown) => fn({ carrierParts: { insertMany: async () => undefined } }) };
    const available: string[] = [];
    const connector = new SmppConnector(ctx.config, { ...ctx.deps, store: store as never });
    await connector.start({ report() {}, inbound: async () => undefined, available: (id: string) => void available.push(id) } as never);
    return { connector, available };
  }

  it('has the retry of a message still in a window wait for its answer rather than send it again', async () => {
    // The first message is answered after 3 s, the second after 4.5 s; stalled after 0.5 s (seen
    // by the connector's sweep, once a second: by 1.5 s).
    const { port, seen } = await slowSmsc((_p, n) => (n <= 2 ? { delay: n === 1 ? 3000 : 4500, id: `slow${n}` } : { delay: 0, id: `copy${n}` }));
    const { connector, available } = await started(port, { responseTimeoutMs: 10_000, stalledAfterMs: 500 });
    try {
      const first = await connector.submit([message('m1'), message('m2')]);
      expect(first.map((r) => r.outcome)).toEqual(['transient', 'transient']);
      // Retried as the dispatcher does, each time the connector says it can send again: m1 has its
      // answer, m2 is still in the window (and may be given back again while it waits).
      const results = new Map<string, unknown>();
      for (let attempt = 2; results.size < 2 && attempt < 10; attempt++) {
        // Each give-back is followed by one "available" once the SMSC answers again.
        await until(() => available.length >= attempt - 1);
        const pending = ['m1', 'm2'].filter((id) => !results.has(id));
        const answers = await connector.submit(pending.map((id) => ({ ...message(id), attempt })));
        answers.forEach((r, i) => r.outcome === 'accepted' && results.set(pending[i]!, r));
      }
      expect(results.get('m1')).toEqual({ outcome: 'accepted', carrierMessageId: 'slow1', parts: 1 });
      expect(results.get('m2')).toEqual({ outcome: 'accepted', carrierMessageId: 'slow2', parts: 1 });
      expect(seen).toHaveLength(2);
      expect(connector.status().counters).toMatchObject({ submitted: 2 });
      expect(connector.status().counters.adopted).toBeGreaterThanOrEqual(2);
    } finally {
      await connector.stop();
    }
  }, 20_000);

  it('takes over a multipart message whose first part was accepted and whose second was answered late: no part is sent twice', async () => {
    const { port, seen } = await slowSmsc((pdu, n) => (n === 1 ? { delay: 0, id: 'part1' } : n === 2 ? { delay: 3000, id: 'part2' } : { delay: 0, id: `copy${n}` }));
    const { connector, available } = await started(port, { responseTimeoutMs: 10_000, stalledAfterMs: 500 });
    try {
      const [first] = await connector.submit([message('m1', 'x'.repeat(200))]);
      expect(first).toMatchObject({ outcome: 'transient' });
      await until(() => available.length > 0);
      expect(await connector.submit([{ ...message('m1', 'x'.repeat(200)), attempt: 2 }])).toEqual([{ outcome: 'accepted', carrierMessageId: 'part1', parts: 2 }]);
      expect(seen).toHaveLength(2);
    } finally {
      await connector.stop();
    }
  }, 20_000);

  it('sends the message again when the bind ends before the SMSC answered (at least once)', async () => {
    // Never answered on the first bind; the response timeout ends it.
    const { port, seen } = await slowSmsc((_p, n) => (n === 1 ? undefined : { delay: 0, id: `copy${n}` }));
    const { connector } = await started(port, { responseTimeoutMs: 1500, stalledAfterMs: 500, reconnectMinMs: 50, reconnectMaxMs: 100 });
    try {
      const [first] = await connector.submit([message('m1')]);
      expect(first).toMatchObject({ outcome: 'transient' });
      await until(() => connector.status().counters.disconnects > 0 && connector.status().state === 'up');
      expect(await connector.submit([{ ...message('m1'), attempt: 2 }])).toEqual([{ outcome: 'accepted', carrierMessageId: 'copy2', parts: 1 }]);
      expect(connector.status().counters.adopted).toBe(0);
      expect(seen).toHaveLength(2);
    } finally {
      await connector.stop();
    }
  }, 20_000);
});

describe('an SMSC that sends an SME delivery acknowledgement', () => {
  it('reads it as a report, not as a message from a handset', async () => {
    const port = await smsc((pdu, reply) => {
      if (!pdu.command.startsWith('bind_')) return;
      reply(bindResp(pdu));
      reply({ ...receiptPdu, esmClass: 0x08, sequence: 1, shortMessage: Buffer.from('ack from the recipient application') });
    });
    const ctx = context(port);
    const inbound: unknown[] = [];
    const connector = new SmppConnector(ctx.config, ctx.deps);
    await connector.start({ report() {}, inbound: async (ms: unknown[]) => (inbound.push(...ms), ms.map(() => ({ routed: true }))) } as never);
    try {
      await until(() => connector.status().counters.receipts === 1);
      expect(connector.status().counters).toMatchObject({ receipts_unreadable: 1, mo_received: 0 });
      expect(inbound).toEqual([]);
    } finally {
      await connector.stop();
    }
  });
});

describe('an SMSC that floods us with PDUs we cannot use', () => {
  it('has them counted, every one, but logged at most WARNINGS_PER_MINUTE times a minute', async () => {
    const flood = 500;
    const port = await smsc((pdu, reply, socket) => {
      if (!pdu.command.startsWith('bind_')) return;
      reply(bindResp(pdu));
      // Answers to nothing we asked, and unreadable requests (a command id SMPP does not have).
      for (let i = 0; i < flood; i++) reply({ command: 'enquire_link_resp', sequence: 100_000 + i, status: 0 });
      const unknown = Buffer.alloc(16 * flood);
      for (let i = 0; i < flood; i++) {
        unknown.writeUInt32BE(16, i * 16);
        unknown.writeUInt32BE(0x00000077, i * 16 + 4);
        unknown.writeUInt32BE(200_000 + i, i * 16 + 12);
      }
      socket.write(unknown);
    });
    const ctx = context(port);
    const pool = new BindPool(ctx, { submitAnswered() {}, deliver: async () => 0, bound() {}, unanswered() {} });
    pool.start();
    try {
      await until(() => ctx.counters.protocol_errors === 2 * flood);
      expect(ctx.warnings.filter((w) => w === 'unreadable or unexpected PDU from the SMSC')).toHaveLength(WARNINGS_PER_MINUTE);
    } finally {
      await pool.stop(0);
    }
  });
});

describe('an SMSC whose submit_sm_resp body cannot be read', () => {
  /** A submit_sm_resp frame for `sequence` with header status `status` and `body` as it is. */
  const rawResp = (sequence: number, status: number, body: Buffer) => {
    const head = Buffer.alloc(16);
    head.writeUInt32BE(16 + body.length, 0);
    head.writeUInt32BE(0x80000004, 4);
    head.writeUInt32BE(status, 8);
    head.writeUInt32BE(sequence, 12);
    return Buffer.concat([head, body]);
  };

  it('takes an id without its NUL, and an ESME_ROK whose id cannot be read, as acceptances, not failures', async () => {
    // An id without its NUL; an id too long to read; a good id followed by a TLV that overruns the PDU.
    const bodies = [Buffer.from('ABC123'), Buffer.from(`${'x'.repeat(80)}\0`), Buffer.from([0x47, 0x44, 0x00, 0x04, 0x27, 0x00, 0x09, 0x01])];
    let n = 0;
    const port = await smsc((pdu, reply, socket) => {
      if (pdu.command.startsWith('bind_')) return reply(bindResp(pdu));
      if (pdu.command === 'enquire_link') return reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      if (pdu.command === 'submit_sm') socket.write(rawResp(pdu.sequence, 0, bodies[n++ % bodies.length]!));
    });
    const ctx = context(port);
    const recorded: string[] = [];
    const store = { transaction: async (fn: (tx: unknown) => unknown) => fn({ carrierParts: { insertMany: async (rows: Array<{ carrierMessageId: string }>) => void recorded.push(...rows.map((r) => r.carrierMessageId)) } }) };
    const connector = new SmppConnector(ctx.config, { ...ctx.deps, store: store as never });
    await connector.start({ report() {}, inbound: async () => undefined } as never);
    const message = (id: string) => ({ messageId: id, projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'hello', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Date.now() + 60_000 }) as const;
    try {
      expect(await connector.submit([message('m1')])).toEqual([{ outcome: 'accepted', carrierMessageId: 'ABC123', parts: 1 }]);
      // Accepted by its header: not failed, not sent again; its receipts cannot be correlated (logged).
      expect(await connector.submit([message('m2')])).toEqual([{ outcome: 'accepted', carrierMessageId: '', parts: 1 }]);
      expect(await connector.submit([message('m3')])).toEqual([{ outcome: 'accepted', carrierMessageId: 'GD', parts: 1 }]);
      expect(n).toBe(3);
      expect(connector.status().counters).toMatchObject({ accepted: 3, rejected: 0, protocol_errors: 2 });
      await until(() => recorded.length === 2);
      expect(recorded).toEqual(['abc123', 'gd']);
      expect(ctx.warnings).toContain('SMSC message id cannot be read in the configured idFormat.submit; receipts for it will not correlate');
    } finally {
      await connector.stop();
    }
  });

  it('still fails a part whose unreadable submit_sm_resp carries an error status', async () => {
    const port = await smsc((pdu, reply, socket) => {
      if (pdu.command.startsWith('bind_')) return reply(bindResp(pdu));
      if (pdu.command === 'submit_sm') socket.write(rawResp(pdu.sequence, STATUS.ESME_RINVDSTADR, Buffer.from(`${'x'.repeat(80)}\0`)));
    });
    const ctx = context(port);
    const connector = new SmppConnector(ctx.config, ctx.deps);
    await connector.start({ report() {}, inbound: async () => undefined } as never);
    try {
      const [result] = await connector.submit([{ messageId: 'm1', projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'hello', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Date.now() + 60_000 }]);
      // Its header's status, not the reading problem (ESME_RINVCMDLEN would be 30008).
      expect(result).toMatchObject({ outcome: 'rejected', error: 'UNROUTABLE', detail: expect.stringMatching(/ESME_RINVDSTADR/) });
    } finally {
      await connector.stop();
    }
  });
});

/**
 * An SMSC that sends `pdus` at once after the bind, without a window, to a pool whose database never
 * answers a deliver: how many were handed over (and held pending), and the SMSC's answers to the rest.
 */
async function floodAfterBind(pdus: Pdu[]): Promise<{ handed: () => number; answers: number[]; pool: BindPool }> {
  const answers: number[] = [];
  const port = await smsc((pdu, reply) => {
    if (pdu.command.startsWith('bind_')) {
      reply(bindResp(pdu));
      for (const p of pdus) reply(p);
      return;
    }
    if (pdu.command === 'deliver_sm_resp') answers.push(pdu.status);
  });
  let handed = 0;
  const pool = new BindPool(context(port), { submitAnswered() {}, deliver: () => (handed++, new Promise<number>(() => {})), bound() {}, unanswered() {} });
  pool.start();
  return { handed: () => handed, answers, pool };
}

describe('an SMSC that sends deliver_sm without a window', () => {
  it('has at most MAX_PENDING_DELIVERS waiting for the database; the rest are answered ESME_RX_T_APPN to be sent again', async () => {
    const extra = 200;
    const receipts = Array.from({ length: MAX_PENDING_DELIVERS + extra }, (_, n) => {
      const text = Buffer.from(`id:${n + 1} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:`, 'latin1');
      return { ...receiptPdu, sequence: n + 1, shortMessage: text };
    });
    // A database that never answers: every receipt handed over stays pending.
    const { handed, answers, pool } = await floodAfterBind(receipts);
    try {
      await until(() => answers.length >= extra);
      expect(handed()).toBe(MAX_PENDING_DELIVERS);
      expect(answers).toEqual(Array(extra).fill(STATUS.ESME_RX_T_APPN));
    } finally {
      await pool.stop(0);
    }
  });
});

describe('an SMSC that sends large deliver_sm without a window', () => {
  it('has at most MAX_PENDING_DELIVER_BYTES of them waiting for the database', async () => {
    const count = 200;
    const payload = Buffer.alloc(60_000, 0x41);
    const mos = Array.from({ length: count }, (_, n) => ({ ...receiptPdu, esmClass: 0, sequence: n + 1, tlvs: [{ tag: TLV.message_payload, value: payload }] }));
    const { handed, answers, pool } = await floodAfterBind(mos);
    try {
      await until(() => handed() + answers.length === count);
      // About 4 MiB of 60 KB MOs held (not 200: 12 MB), the rest asked to come again later.
      expect(handed()).toBeGreaterThan(0);
      expect(handed() * payload.length).toBeLessThanOrEqual(MAX_PENDING_DELIVER_BYTES);
      expect(answers).toEqual(Array(count - handed()).fill(STATUS.ESME_RX_T_APPN));
    } finally {
      await pool.stop(0);
    }
  });
});

describe('an SMSC that sends and never reads', () => {
  it('stops being read once our answers back up past WRITE_HIGH_WATER, and is read again when they drain', async () => {
    // 2M enquire_link (32 MB): far more answers than the kernel's socket buffers hold on loopback.
    const count = 2_000_000;
    const flood = Buffer.alloc(count * 16);
    for (let i = 0; i < count; i++) {
      flood.writeUInt32BE(16, i * 16);
      flood.writeUInt32BE(0x15, i * 16 + 4);
      flood.writeUInt32BE(i + 1, i * 16 + 12);
    }
    let peer: Socket | undefined;
    const port = await smsc((pdu, reply, socket) => {
      if (!pdu.command.startsWith('bind_')) return;
      reply(bindResp(pdu));
      peer = socket;
      socket.pause();
      socket.write(flood);
    });
    const ctx = context(port);
    const pool = new BindPool(ctx, { submitAnswered() {}, deliver: async () => 0, bound() {}, unanswered() {} });
    pool.start();
    try {
      await until(() => ctx.counters.writes_backed_up > 0);
      // The connector stopped reading: most of the flood still waits on the SMSC's side.
      expect(peer!.writableLength).toBeGreaterThan(count * 4);
      expect(ctx.warnings).toContain('the SMSC does not read what we send; reading it paused until that drains');
      // The SMSC reads again: every enquire_link is answered and the bind is still up.
      let answered = 0;
      peer!.removeAllListeners('data');
      peer!.on('data', (chunk: Buffer) => void (answered += chunk.length));
      peer!.resume();
      await until(() => answered >= count * 16);
      expect(answered).toBe(count * 16);
      expect(ctx.counters.disconnects).toBe(0);
      expect(WRITE_HIGH_WATER).toBeLessThan(count * 16);
    } finally {
      await pool.stop(0);
    }
  }, 60_000);
});

/** Resolves once `done()` holds (polled every 10 ms). */
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => done() && (clearInterval(check), resolve()), 10);
  });
}

describe('an SMSC that throttles one part of a message for ever', () => {
  it('gives the message up when its validity runs out, though its first part was accepted', async () => {
    const port = await smsc((pdu, reply) => {
      if (pdu.command.startsWith('bind_')) return reply(bindResp(pdu));
      if (pdu.command === 'enquire_link') return reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      if (pdu.command !== 'submit_sm') return;
      // Part 1 of 2 (its UDH ends "02 01") is taken; part 2 is throttled every time.
      const part = pdu.shortMessage[5];
      reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: part === 1 ? 0 : STATUS.ESME_RTHROTTLED, messageId: part === 1 ? 'p1' : '', tlvs: [] });
    });
    const ctx = context(port);
    const connector = new SmppConnector(ctx.config, ctx.deps);
    await connector.start({ report() {}, inbound: async () => undefined } as never);
    try {
      const [result] = await connector.submit([
        { messageId: 'm1', projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'x'.repeat(200), media: [], kind: 'sms', encoding: 'GSM-7', segments: 2, attempt: 1, expiresAt: Date.now() + 1000 },
      ]);
      expect(result).toMatchObject({ outcome: 'rejected', error: 'VALIDITY_EXPIRED', detail: expect.stringMatching(/part 2 of 2 \(earlier parts were sent\)/) });
    } finally {
      await connector.stop();
    }
  });
});
