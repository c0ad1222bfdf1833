/**
 * The connector against SMSCs that bend the protocol's rules on binds and requests: one that
 * accepts the connection and never answers the bind, one that answers submit_sm as if we were not
 * bound, one that sends the request v3.4 gives no response, one that unbinds while its MO is stored, one that leaves esm_class 0 on a receipt,
 * one whose bind drops while its MO is stored.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../domain/ports/store.js';
import { BindPool } from './bind-pool.js';
import { SmppConnector } from './connector.js';
import { parseSmppSection } from './config.js';
import { newCounters, type SmppContext } from './context.js';
import { encodePdu, intTlv, stringTlv, type Pdu } from './pdu/codec.js';
import { STATUS, TLV } from './pdu/constants.js';
import { closeSmscs, smscServer as smsc } from '../../../test/helpers/scripted-smsc.js';

afterEach(closeSmscs);

function context(port: number, extra: Record<string, unknown> = {}): SmppContext {
  const config = parseSmppSection({ connectors: [{ id: 'hostile', host: '127.0.0.1', port, systemId: 'sw', password: 'pw', throughput: 0, ...extra }], routes: [] }).connectors[0]!;
  const logger = { info() {}, warn() {}, error() {} };
  return { config, deps: { store: {} as Store, logger, now: Date.now }, counters: newCounters(), sink: () => undefined };
}

const bindResp = (pdu: Pdu): Pdu => ({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status: 0, systemId: 'HOSTILE', tlvs: [] });

function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => done() && (clearInterval(check), resolve()), 10);
  });
}

describe('an SMSC that accepts the connection and never answers the bind', () => {
  it('is bound again after connectTimeoutMs, not waited for for good', async () => {
    let binds = 0;
    const port = await smsc((pdu) => {
      if (pdu.command.startsWith('bind_')) binds++;
    });
    const ctx = context(port, { connectTimeoutMs: 100, reconnectMinMs: 10, reconnectMaxMs: 20 });
    const pool = new BindPool(ctx, { submitAnswered() {}, deliver: async () => 0, bound() {}, unanswered() {} });
    pool.start();
    try {
      // Before, the first bind waited for its answer for good: one bind, the slot "connecting" for ever.
      await until(() => binds >= 3);
      expect(ctx.counters.bind_failures).toBeGreaterThanOrEqual(2);
      expect(pool.links()[0]!.lastError).toBe('no bind within 100 ms');
    } finally {
      await pool.stop(0);
    }
  });

});

describe('an SMSC that answers submit_sm ESME_RINVBNDSTS on a bind it accepted', () => {
  it('has the bind ended and the message sent on a new one, not retried on the bind the SMSC forgot', async () => {
    let binds = 0;
    const port = await smsc((pdu, reply) => {
      if (pdu.command.startsWith('bind_')) return void (binds++, reply(bindResp(pdu)));
      if (pdu.command === 'enquire_link') return reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      // The first bind is forgotten at once (enquire_link still answered); the second one works.
      if (pdu.command === 'submit_sm') reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: binds === 1 ? STATUS.ESME_RINVBNDSTS : 0, messageId: binds === 1 ? '' : 'ok', tlvs: [] });
    });
    const ctx = context(port, { reconnectMinMs: 10, reconnectMaxMs: 20, maxSubmitAttempts: 3 });
    const tx = { carrierParts: { insertMany: async () => undefined } };
    const connector = new SmppConnector(ctx.config, { ...ctx.deps, store: { transaction: async (fn: (t: typeof tx) => unknown) => fn(tx) } as never });
    await connector.start({ report() {}, inbound: async () => [] } as never);
    try {
      const [result] = await connector.submit([
        { messageId: 'm1', projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'hello', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Date.now() + 60_000 },
      ]);
      // Before, the bind stayed up and took the part maxSubmitAttempts times, each answered ESME_RINVBNDSTS.
      expect(result).toEqual({ outcome: 'accepted', carrierMessageId: 'ok', parts: 1 });
      expect(binds).toBe(2);
    } finally {
      await connector.stop();
    }
  });
});

describe('an SMSC that sends alert_notification', () => {
  it('is not answered: v3.4 gives it no response, and a generic_nack would be one', async () => {
    const answers: string[] = [];
    const port = await smsc((pdu, reply, socket) => {
      if (pdu.command.startsWith('bind_')) {
        reply(bindResp(pdu));
        // alert_notification: source 1/1 447700900001, esme 1/1 15551230001, no TLVs.
        const body = Buffer.concat([Buffer.from([1, 1]), Buffer.from('447700900001\0'), Buffer.from([1, 1]), Buffer.from('15551230001\0')]);
        const header = Buffer.alloc(16);
        header.writeUInt32BE(16 + body.length, 0);
        header.writeUInt32BE(0x00000102, 4);
        header.writeUInt32BE(7, 12);
        socket.write(Buffer.concat([header, body]));
        reply({ command: 'enquire_link', sequence: 8, status: 0 });
      } else answers.push(`${pdu.command} ${pdu.sequence}`);
    });
    const ctx = context(port);
    const pool = new BindPool(ctx, { submitAnswered() {}, deliver: async () => 0, bound() {}, unanswered() {} });
    pool.start();
    try {
      await until(() => answers.includes('enquire_link_resp 8'));
      expect(answers).toEqual(['enquire_link_resp 8']);
      expect(ctx.counters.protocol_errors).toBe(0);
    } finally {
      await pool.stop(0);
    }
  });
});

describe('an SMSC that sends a deliver_sm with a field longer than its maximum', () => {
  it("is answered deliver_sm_resp with that field's status, not generic_nack (v3.4 §4.3 keeps it for a header it cannot read)", async () => {
    const answers: string[] = [];
    const port = await smsc((pdu, reply, socket) => {
      if (pdu.command.startsWith('bind_')) {
        reply(bindResp(pdu));
        // deliver_sm: a source_addr of 30 digits (at most 20 and its NUL), then a good one.
        const body = (source: string) => Buffer.concat([Buffer.from('\0'), Buffer.from([1, 1]), Buffer.from(`${source}\0`), Buffer.from([1, 1]), Buffer.from('15551230001\0'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]), Buffer.from('hi')]);
        // Then a query_sm (which only an SMSC takes) with a message_id of 70 octets: refused as a
        // readable one is, generic_nack ESME_RINVCMDID, not answered as if we took it.
        const query = Buffer.concat([Buffer.from(`${'x'.repeat(70)}\0`), Buffer.from([1, 1]), Buffer.from('15551230001\0')]);
        for (const [sequence, commandId, b] of [[7, 0x00000005, body('4'.repeat(30))], [6, 0x00000003, query]] as const) {
          const header = Buffer.alloc(16);
          header.writeUInt32BE(16 + b.length, 0);
          header.writeUInt32BE(commandId, 4);
          header.writeUInt32BE(sequence, 12);
          socket.write(Buffer.concat([header, b]));
        }
        reply({ command: 'enquire_link', sequence: 8, status: 0 });
      } else answers.push(`${pdu.command} ${pdu.sequence} ${pdu.status}`);
    });
    const ctx = context(port);
    const pool = new BindPool(ctx, { submitAnswered() {}, deliver: async () => 0, bound() {}, unanswered() {} });
    pool.start();
    try {
      await until(() => answers.includes('enquire_link_resp 8 0'));
      expect(answers).toEqual([`deliver_sm_resp 7 ${STATUS.ESME_RINVSRCADR}`, `generic_nack 6 ${STATUS.ESME_RINVCMDID}`, 'enquire_link_resp 8 0']);
    } finally {
      await pool.stop(0);
    }
  });
});

describe('an SMSC that answers submit_sm ESME_ROK with a response we cannot read as a submit_sm_resp', () => {
  /** A response frame: `commandId`, header status 0, `sequence`, then `body`. */
  const raw = (commandId: number, sequence: number, body: Buffer) => {
    const head = Buffer.alloc(16);
    head.writeUInt32BE(16 + body.length, 0);
    head.writeUInt32BE(commandId, 4);
    head.writeUInt32BE(0, 8);
    head.writeUInt32BE(sequence, 12);
    return Buffer.concat([head, body]);
  };

  it('sends the part again, as for such an answer it can read, rather than failing the message for our reading problem', async () => {
    // An unknown response command, then a generic_nack with octets after its header; then a real answer.
    const odd = [raw(0x80000099, 0, Buffer.alloc(0)), raw(0x80000000, 0, Buffer.from([1, 2, 3]))];
    let submits = 0;
    const port = await smsc((pdu, reply, socket) => {
      if (pdu.command.startsWith('bind_')) return reply(bindResp(pdu));
      if (pdu.command === 'enquire_link') return reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
      if (pdu.command !== 'submit_sm') return;
      const frame = odd[submits++];
      if (frame) {
        frame.writeUInt32BE(pdu.sequence, 12);
        socket.write(frame);
      } else reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: 0, messageId: 'ok', tlvs: [] });
    });
    const ctx = context(port, { maxSubmitAttempts: 3 });
    const tx = { carrierParts: { insertMany: async () => undefined } };
    const connector = new SmppConnector(ctx.config, { ...ctx.deps, store: { transaction: async (fn: (t: typeof tx) => unknown) => fn(tx) } as never });
    await connector.start({ report() {}, inbound: async () => [] } as never);
    try {
      const [result] = await connector.submit([
        { messageId: 'm1', projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'hello', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1, expiresAt: Date.now() + 60_000 },
      ]);
      // Before, the first answer failed the message for good: ESME_RINVCMDID, our own reading problem, as if the SMSC had said it.
      expect(result).toEqual({ outcome: 'accepted', carrierMessageId: 'ok', parts: 1 });
      expect(submits).toBe(3);
      expect(connector.status().counters).toMatchObject({ rejected: 0, transient_errors: 2, protocol_errors: 2 });
    } finally {
      await connector.stop();
    }
  });
});

describe('an SMSC that unbinds while an MO it sent is being stored', () => {
  it('gets the MO answered before its unbind is, so it does not send the MO again to be stored twice', async () => {
    const answers: string[] = [];
    let smscSocket: Socket | undefined;
    let closed = false;
    const mo: Pdu = {
      command: 'deliver_sm', sequence: 1, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
      esmClass: 0, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0, shortMessage: Buffer.from('hello'), tlvs: [],
    };
    const port = await smsc((pdu, reply, socket) => {
      if (pdu.command.startsWith('bind_')) {
        smscSocket = socket;
        socket.on('close', () => (closed = true));
        reply(bindResp(pdu));
        reply(mo);
      } else answers.push(`${pdu.command} ${pdu.sequence} ${pdu.status}`);
    });
    let storing = false;
    let stored!: (status: number) => void;
    const ctx = context(port, { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    const pool = new BindPool(ctx, {
      submitAnswered() {},
      deliver: () => ((storing = true), new Promise<number>((r) => (stored = r))),
      bound() {},
      unanswered() {},
    });
    pool.start();
    try {
      await until(() => storing);
      // The SMSC's unbind, and an enquire_link whose answer says the unbind was read.
      smscSocket!.write(Buffer.concat([encodePdu({ command: 'unbind', sequence: 2, status: 0 }), encodePdu({ command: 'enquire_link', sequence: 3, status: 0 })]));
      await until(() => answers.includes('enquire_link_resp 3 0'));
      stored(STATUS.ESME_ROK);
      await until(() => closed);
      // Before, the bind closed at once on the unbind: the MO stored was never answered, and the SMSC sent it again.
      expect(answers.filter((a) => !a.startsWith('enquire_link_resp'))).toEqual(['deliver_sm_resp 1 0', 'unbind_resp 2 0']);
    } finally {
      await pool.stop(0);
    }
  });
});

describe('an SMSC that sends a receipt in TLVs with esm_class 0', () => {
  it('has it read as the receipt it is, not delivered to the number as a message from a handset', async () => {
    const port = await smsc((pdu, reply) => {
      if (!pdu.command.startsWith('bind_')) return;
      reply(bindResp(pdu));
      // receipted_message_id and message_state are receipt fields (v3.4 §5.3.2.12, §5.3.2.35): a handset cannot set them.
      reply({
        command: 'deliver_sm', sequence: 1, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
        esmClass: 0, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
        shortMessage: Buffer.alloc(0), tlvs: [stringTlv(TLV.receipted_message_id, 'abc1'), intTlv(TLV.message_state, 2, 1)],
      });
    });
    const ctx = context(port);
    const tx = { carrierParts: { insertMany: async () => undefined, findByCarrierIds: async () => [], applyOutcomes: async () => [], listForMessages: async () => [] } };
    const inbound: unknown[] = [];
    const connector = new SmppConnector(ctx.config, { ...ctx.deps, store: { transaction: async (fn: (t: typeof tx) => unknown) => fn(tx) } as never });
    await connector.start({ report() {}, inbound: async (ms: unknown[]) => (inbound.push(...ms), ms.map(() => ({ routed: true }))) } as never);
    try {
      await until(() => connector.status().counters.receipts + connector.status().counters.mo_received > 0);
      // Before, it became an empty inbound message to the number, and the receipt was lost.
      expect(connector.status().counters).toMatchObject({ receipts: 1, receipts_unreadable: 0, mo_received: 0 });
      expect(inbound).toEqual([]);
    } finally {
      await connector.stop();
    }
  });
});

describe('an SMSC whose bind drops while an MO it sent is being stored', () => {
  it('has the MO it sends again recognised and acknowledged, not stored twice; the same text sent again later is a new message', async () => {
    const text = (s: string): Pdu => ({
      command: 'deliver_sm', sequence: 1, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
      esmClass: 0, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0, shortMessage: Buffer.from(s), tlvs: [],
    });
    let binds = 0;
    let first: Socket | undefined;
    const answers: string[] = [];
    const port = await smsc((pdu, reply, socket) => {
      if (pdu.command.startsWith('bind_')) {
        binds++;
        reply(bindResp(pdu));
        if (binds === 1) {
          first = socket;
          reply(text('yes'));
        } else {
          // The MO whose answer the drop lost, sent again; then the handset's next message, the same word.
          reply({ ...text('yes'), sequence: 7 });
          reply({ ...text('yes'), sequence: 8 });
        }
      } else if (pdu.command === 'deliver_sm_resp') answers.push(`${pdu.sequence} ${pdu.status}`);
      else if (pdu.command === 'enquire_link') reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
    });
    const ctx = context(port, { reconnectMinMs: 10, reconnectMaxMs: 20 });
    const stored: unknown[] = [];
    let storing: (() => void) | undefined;
    const connector = new SmppConnector(ctx.config, ctx.deps);
    await connector.start({
      report() {},
      inbound: async (ms: unknown[]) => {
        // The first MO is stored once the bind it came on has dropped.
        if (!storing) await new Promise<void>((r) => (storing = r));
        stored.push(...ms);
        return ms.map(() => ({ routed: true }));
      },
    } as never);
    try {
      await until(() => storing !== undefined);
      first!.destroy();
      await until(() => binds === 2);
      storing!();
      await until(() => answers.length === 2);
      // The resend's answer waits for the first copy to be stored; the new message's does not.
      expect(answers.sort()).toEqual(['7 0', '8 0']);
      // Before, three: the resend was stored (and its webhook sent) as a second message.
      expect(stored).toHaveLength(2);
      expect(connector.status().counters.mo_duplicate_parts).toBe(1);
    } finally {
      await connector.stop();
    }
  });
});
