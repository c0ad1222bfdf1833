/**
 * The simulator's SMSC keeps its connection slots for ESMEs that bind: silent or unbound sockets
 * give theirs back, and an address that keeps failing binds is locked out for a while (real
 * sockets on loopback, 127.0.0.x addresses playing different clients; deadlines shortened, a
 * manual clock for the lockout).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePdu, encodePdu, type BindPdu, type MessageIdRespPdu, type Pdu, type ShortMessagePdu } from '../../smpp/pdu/codec.js';
import { STATUS, TLV } from '../../smpp/pdu/constants.js';
import { PduFramer } from '../../smpp/pdu/framer.js';
import { DELIVER_WINDOW } from './smsc-connection.js';
import { bindsPerAddress, SimulatorSmsc, type SmscSettings } from './smsc-server.js';

let smsc: SimulatorSmsc | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await smsc?.stop();
});

let now = 1_000_000;
const warnings: Array<{ fields: unknown; message: string }> = [];

async function start(settings: Partial<SmscSettings>): Promise<SimulatorSmsc> {
  warnings.length = 0;
  smsc = new SimulatorSmsc(
    { host: '127.0.0.1', port: 0, systemId: 'switchboard', password: 'secret', maxBinds: 2, submitIdFormat: 'decimal', receiptIdFormat: 'decimal', ...settings },
    {
      rules: { getSettings: () => ({ delayMs: 0, delayedReceiptMs: 0, rules: [] }) },
      logger: { info() {}, warn: (fields: unknown, message: string) => warnings.push({ fields, message }), error() {} },
      now: () => now,
    },
  );
  await smsc.start();
  return smsc;
}

function open(port: number, from = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: from }, () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

function bindPdu(sequence: number, password = 'secret', systemId = 'switchboard'): BindPdu {
  return { command: 'bind_transceiver', sequence, status: 0, systemId, password, systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' };
}

/** The command_status of every bind_transceiver_resp read on `s`, with when it came (ms of wall time). */
function answers(s: Socket): Array<{ status: number; at: number }> {
  const seen: Array<{ status: number; at: number }> = [];
  const framer = new PduFramer();
  s.on('data', (chunk) => {
    for (const f of framer.push(chunk).frames) {
      const r = decodePdu(f);
      if (r.ok && r.pdu.command === 'bind_transceiver_resp') seen.push({ status: r.pdu.status, at: performance.now() });
    }
  });
  return seen;
}

/** Bind as a transceiver on a new connection; resolves with the answer's command_status, or null if the connection closed unanswered. */
async function bindStatus(port: number, opts: { password?: string; systemId?: string; from?: string } = {}): Promise<number | null> {
  const s = await open(port, opts.from);
  const framer = new PduFramer();
  return new Promise((resolve) => {
    s.on('data', (chunk) => {
      for (const f of framer.push(chunk).frames) {
        const r = decodePdu(f);
        if (r.ok && r.pdu.command === 'bind_transceiver_resp') resolve(r.pdu.status);
      }
    });
    s.on('close', () => resolve(null));
    s.write(encodePdu(bindPdu(1, opts.password, opts.systemId)));
  });
}

describe('connection slots of the simulator SMSC', () => {
  it('closes connections that never bind, so silent sockets cannot lock ESMEs out', async () => {
    const { port } = await start({ bindDeadlineMs: 300, idleTimeoutMs: 60_000 });
    // maxBinds + 4 = 6 slots, all taken by sockets that say nothing.
    const silent = await Promise.all(Array.from({ length: 6 }, () => open(port)));
    await Promise.all(silent.map(closed));
    expect(await bindStatus(port)).toBe(0);
  });

  it('admits an ESME while sockets that never bind hold every unbound slot, closing the oldest of the address holding most', async () => {
    const { port } = await start({ bindDeadlineMs: 60_000, idleTimeoutMs: 60_000 });
    // maxBinds + 4 = 6 unbound slots: five silent sockets from one address, one from another.
    const flood = [];
    for (let i = 0; i < 5; i++) flood.push(await open(port, '127.0.0.2'));
    const other = await open(port, '127.0.0.3');
    expect(await bindStatus(port)).toBe(0);
    await closed(flood[0]!);
    expect(flood.slice(1).some((s) => s.destroyed)).toBe(false);
    expect(other.destroyed).toBe(false);
    // The flooder opening more (the sixth unbound slot is free again, then full) only pushes out its own sockets.
    const again = [await open(port, '127.0.0.2'), await open(port, '127.0.0.2')];
    await closed(flood[1]!);
    expect(again.some((s) => s.destroyed)).toBe(false);
    expect(other.destroyed).toBe(false);
    expect(smsc!.binds()).toHaveLength(1);
  });

  it('keeps binds for other addresses when one address binds all it can, and frees an unbound one at once', async () => {
    const { port } = await start({ maxBinds: 16, bindDeadlineMs: 60_000, idleTimeoutMs: 60_000 });
    // One client binds 20 transceivers from 127.0.0.2: it gets 14 (16 - 2), the rest ESME_RBINDFAIL.
    const greedy: Array<number | null> = [];
    for (let i = 0; i < 20; i++) greedy.push(await bindStatus(port, { from: '127.0.0.2' }));
    expect(greedy.filter((s) => s === STATUS.ESME_ROK)).toHaveLength(bindsPerAddress(16));
    expect(greedy.slice(bindsPerAddress(16))).toEqual(Array(20 - bindsPerAddress(16)).fill(STATUS.ESME_RBINDFAIL));
    // Loopback's usual client still binds, twice; then every bind is taken.
    expect(await bindStatus(port)).toBe(STATUS.ESME_ROK);
    expect(await bindStatus(port)).toBe(STATUS.ESME_ROK);
    expect(await bindStatus(port, { from: '127.0.0.3' })).toBe(STATUS.ESME_RBINDFAIL);
    expect(smsc!.binds()).toHaveLength(16);
    // One of the greedy client's binds unbinds: its slot is free for the next bind straight away.
    const first = sockets.find((s) => s.localAddress === '127.0.0.2')!;
    const unbound = new Promise<void>((resolve) => {
      const framer = new PduFramer();
      first.on('data', (chunk) => {
        for (const f of framer.push(chunk).frames) {
          const r = decodePdu(f);
          if (r.ok && r.pdu.command === 'unbind_resp') resolve();
        }
      });
    });
    first.write(encodePdu({ command: 'unbind', sequence: 2, status: 0 }));
    await unbound;
    expect(await bindStatus(port, { from: '127.0.0.3' })).toBe(STATUS.ESME_ROK);
  });

  it('lets one address hold at most maxBinds - 2 binds, half of them at least', () => {
    expect([1, 2, 3, 4, 8, 16, 1024].map(bindsPerAddress)).toEqual([1, 1, 2, 2, 6, 14, 1022]);
  });

  it('closes a bound connection that stays silent past the idle timeout', async () => {
    const { port } = await start({ bindDeadlineMs: 60_000, idleTimeoutMs: 300 });
    expect(await bindStatus(port)).toBe(0);
    expect(smsc!.binds()).toHaveLength(1);
    await closed(sockets.at(-1)!);
    expect(smsc!.binds()).toEqual([]);
  });
});

describe('failed binds of the simulator SMSC', () => {
  const quick = { maxBinds: 8, bindFailures: { burst: 3, perMinute: 60 }, bindFailureDelayMs: 0 };

  it('locks an address out after its failures, right password or not, until one is forgiven; other addresses bind', async () => {
    const { port } = await start(quick);
    const attacker = '127.0.0.2';
    // Below the limit a failure changes nothing for the right password.
    expect(await bindStatus(port, { from: attacker, password: 'guess1' })).toBe(STATUS.ESME_RINVPASWD);
    expect(await bindStatus(port, { from: attacker })).toBe(0);
    for (const s of sockets.splice(0)) s.destroy();

    expect(await bindStatus(port, { from: attacker, password: 'guess2' })).toBe(STATUS.ESME_RINVPASWD);
    expect(await bindStatus(port, { from: attacker, systemId: 'someone' })).toBe(STATUS.ESME_RINVSYSID);
    // The third failure spent the address's budget: refused unchecked, and the connection closed.
    for (const password of ['guess3', 'secret', 'secret']) {
      expect(await bindStatus(port, { from: attacker, password })).toBe(STATUS.ESME_RBINDFAIL);
      await closed(sockets.at(-1)!);
    }
    expect(smsc!.binds()).toEqual([]);
    expect(await bindStatus(port, { from: '127.0.0.3' })).toBe(0);

    now += 1000; // one failure forgiven
    expect(await bindStatus(port, { from: attacker })).toBe(0);
    expect(warnings).toEqual([{ fields: { address: attacker, retryAfterMs: 1000 }, message: expect.stringContaining('failed SMPP binds limited') }]);
  });

  it('holds back the answer to a failed bind, and reads nothing more on its connection meanwhile', async () => {
    const delay = 60;
    const { port } = await start({ bindFailureDelayMs: delay });
    const s = await open(port);
    const seen = answers(s);
    const sent = performance.now();
    // Three guesses in one write: each waits for the answer to the one before.
    s.write(Buffer.concat([1, 2, 3].map((n) => encodePdu(bindPdu(n, `guess${n}`)))));
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(3);
    expect(seen.map((a) => a.status)).toEqual([STATUS.ESME_RINVPASWD, STATUS.ESME_RINVPASWD, STATUS.ESME_RINVPASWD]);
    // Timers may fire a millisecond early; never a whole delay early.
    seen.forEach((a, i) => expect(a.at - sent).toBeGreaterThanOrEqual((i + 1) * delay - 5));
    expect(s.destroyed).toBe(false);
  });
});

/** Every PDU read on `s`, decoded. */
function pdus(s: Socket): Pdu[] {
  const seen: Pdu[] = [];
  const framer = new PduFramer();
  s.on('data', (chunk) => {
    for (const f of framer.push(chunk).frames) {
      const r = decodePdu(f);
      if (r.ok) seen.push(r.pdu);
    }
  });
  return seen;
}

describe('hostile ESMEs and the simulator SMSC', () => {
  it('answers a command_length it cannot frame by with generic_nack ESME_RINVCMDLEN, then closes', async () => {
    const { port } = await start({});
    for (const length of [0, 15, 0x80000000, 0xffffffff]) {
      const s = await open(port);
      const seen = pdus(s);
      const head = Buffer.alloc(16);
      head.writeUInt32BE(length >>> 0, 0);
      head.writeUInt32BE(0x15, 4);
      head.writeUInt32BE(77, 12);
      s.write(head);
      await closed(s);
      expect(seen).toEqual([{ command: 'generic_nack', sequence: 77, status: STATUS.ESME_RINVCMDLEN }]);
    }
    expect(smsc!.stats.protocolErrors).toBe(4);
    expect(await bindStatus(port)).toBe(0);
  });

  it('does not answer a response it cannot read (a peer doing the same would loop), and answers what follows', async () => {
    const { port } = await start({});
    const s = await open(port);
    const seen = pdus(s);
    s.write(encodePdu(bindPdu(1)));
    await expect.poll(() => seen.length).toBe(1);
    const unreadable = Buffer.alloc(16);
    unreadable.writeUInt32BE(16, 0);
    unreadable.writeUInt32BE(0x800000ff, 4); // a response to no command SMPP has
    unreadable.writeUInt32BE(9, 12);
    s.write(Buffer.concat([unreadable, encodePdu({ command: 'enquire_link', sequence: 10, status: 0 })]));
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[1]).toEqual({ command: 'enquire_link_resp', sequence: 10, status: 0 });
    expect(smsc!.stats.protocolErrors).toBe(1);
  });

  it('sends a bind that does not answer at most a window of deliver_sm; the rest follow, in order, as it answers', async () => {
    const { port } = await start({});
    const s = await open(port);
    const seen = pdus(s);
    s.write(encodePdu(bindPdu(1)));
    await expect.poll(() => seen.length).toBe(1);
    for (let i = 0; i < DELIVER_WINDOW + 50; i++) smsc!.injectMo({ from: '+15550001111', to: '+15550002222', text: `mo ${i}` });
    await new Promise((r) => setTimeout(r, 100));
    const delivers = () => seen.filter((p): p is ShortMessagePdu => p.command === 'deliver_sm');
    expect(delivers()).toHaveLength(DELIVER_WINDOW);
    expect(smsc!.undelivered).toBe(DELIVER_WINDOW + 50);
    // Answering frees the window: the 50 that waited come, after the first hundred.
    s.write(Buffer.concat(delivers().map((d) => encodePdu({ command: 'deliver_sm_resp', sequence: d.sequence, status: 0, messageId: '', tlvs: [] }))));
    await expect.poll(() => delivers().length).toBe(DELIVER_WINDOW + 50);
    expect(delivers().map((d) => d.shortMessage.toString())).toEqual(Array.from({ length: DELIVER_WINDOW + 50 }, (_, i) => `mo ${i}`));
  });
});

const submit = (sequence: number, shortMessage: string, payload?: string): ShortMessagePdu => ({
  command: 'submit_sm', sequence, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '15551230001' }, destination: { ton: 1, npi: 1, addr: '15557650001' },
  esmClass: 0, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
  shortMessage: Buffer.from(shortMessage, 'latin1'), tlvs: payload === undefined ? [] : [{ tag: TLV.message_payload, value: Buffer.from(payload, 'latin1') }],
});

describe('submit_sm text fields at the simulator SMSC', () => {

  // SMPP v3.4 §5.3.2.32: the text goes in short_message or in message_payload, never both.
  it('refuses short_message and message_payload together with submit_sm_resp ESME_RINVMSGLEN, and takes either alone', async () => {
    const { port } = await start({});
    const s = await open(port);
    const seen = pdus(s);
    s.write(encodePdu(bindPdu(1)));
    s.write(Buffer.concat([submit(2, 'shown', 'hidden'), submit(3, 'shown', ''), submit(4, '', 'payload only'), submit(5, 'short only')].map((p) => encodePdu(p))));
    await expect.poll(() => seen.filter((p) => p.command === 'submit_sm_resp').length).toBe(4);
    const resps = seen.filter((p) => p.command === 'submit_sm_resp');
    expect(resps.map((p) => [p.sequence, p.status])).toEqual([
      [2, STATUS.ESME_RINVMSGLEN],
      [3, STATUS.ESME_RINVMSGLEN],
      [4, STATUS.ESME_ROK],
      [5, STATUS.ESME_ROK],
    ]);
    expect(seen.some((p) => p.command === 'generic_nack')).toBe(false);
    expect(smsc!.submissions().map((x) => x.text)).toEqual(['payload only', 'short only']);
    expect(smsc!.stats).toMatchObject({ submits: 4, accepted: 2, rejected: 2 });
  });
});

// SMPP v3.4 §4.3: generic_nack answers a PDU whose header cannot be read (its command_length or
// command_id); a known request whose body holds a bad field gets its own response with that
// field's status, as carriers answer (OpenMarket: submit_sm_resp 0x15 for a service_type "longer
// than the allowed length"). A generic_nack there told an ESME nothing of which field was wrong.
describe('requests with a field the simulator SMSC cannot read', () => {
  /** A request's frame with `body` as raw octets. */
  const raw = (commandId: number, sequence: number, body: Buffer): Buffer => {
    const head = Buffer.alloc(16);
    head.writeUInt32BE(16 + body.length, 0);
    head.writeUInt32BE(commandId, 4);
    head.writeUInt32BE(sequence, 12);
    return Buffer.concat([head, body]);
  };
  const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');
  const smBody = (serviceType: string, destination: string): Buffer =>
    Buffer.concat([cstr(serviceType), Buffer.from([1, 1]), cstr('15551230001'), Buffer.from([1, 1]), cstr(destination), Buffer.from([0, 0, 0]), cstr(''), cstr(''), Buffer.from([0, 0, 0, 0, 2]), Buffer.from('hi')]);

  it("answers with the request's own response and the field's status, and stays up", async () => {
    const { port } = await start({});
    const s = await open(port);
    const seen = pdus(s);
    const bindBody = (systemId: string, password: string) => Buffer.concat([cstr(systemId), cstr(password), cstr(''), Buffer.from([0x34, 0, 0]), cstr('')]);
    s.write(Buffer.concat([raw(9, 1, bindBody('x'.repeat(40), 'secret')), raw(9, 2, bindBody('switchboard', 'p'.repeat(20)))]));
    await expect.poll(() => seen.length).toBe(2);
    s.write(encodePdu(bindPdu(3)));
    await expect.poll(() => seen.length).toBe(3);
    s.write(Buffer.concat([raw(4, 4, smBody('', '1'.repeat(30))), raw(4, 5, smBody('x'.repeat(9), '15557650001')), raw(4, 6, smBody('', '15557650001').subarray(0, 20)), raw(0x15, 7, Buffer.from([1])), raw(5, 8, smBody('', '1'.repeat(30)))]));
    await expect.poll(() => seen.length).toBe(8);
    expect(seen.map((p) => [p.command, p.sequence, p.status])).toEqual([
      ['bind_transceiver_resp', 1, STATUS.ESME_RINVSYSID],
      ['bind_transceiver_resp', 2, STATUS.ESME_RINVPASWD],
      ['bind_transceiver_resp', 3, STATUS.ESME_ROK],
      ['submit_sm_resp', 4, STATUS.ESME_RINVDSTADR],
      ['submit_sm_resp', 5, STATUS.ESME_RINVSERTYP],
      // A body cut short, and octets after a body that has none: the length is what is wrong.
      ['submit_sm_resp', 6, STATUS.ESME_RINVCMDLEN],
      ['enquire_link_resp', 7, STATUS.ESME_RINVCMDLEN],
      // A deliver_sm, which an SMSC does not take, is refused as a readable one is.
      ['generic_nack', 8, STATUS.ESME_RINVCMDID],
    ]);
    expect(s.destroyed).toBe(false);
  });
});

describe('message ids of the simulator SMSC', () => {
  it('are not given again after a restart, and query_sm finds them in either format', async () => {
    const ids: string[] = [];
    for (const format of ['decimal', 'hex', 'decimal'] as const) {
      const { port } = await start({ submitIdFormat: format });
      const s = await open(port);
      const seen = pdus(s);
      s.write(encodePdu(bindPdu(1)));
      s.write(encodePdu(submit(2, 'one')));
      const resp = await expect.poll(() => seen.find((p) => p.command === 'submit_sm_resp')).toBeDefined().then(() => seen.find((p) => p.command === 'submit_sm_resp') as MessageIdRespPdu);
      expect(resp.status).toBe(STATUS.ESME_ROK);
      s.write(encodePdu({ command: 'query_sm', sequence: 3, status: 0, messageId: resp.messageId, source: { ton: 1, npi: 1, addr: '15551230001' } }));
      await expect.poll(() => seen.find((p) => p.command === 'query_sm_resp')?.status).toBe(STATUS.ESME_ROK);
      ids.push(format === 'hex' ? String(parseInt(resp.messageId, 16)) : resp.messageId);
      s.destroy();
      await smsc!.stop();
      smsc = undefined;
      // A restart comes at least a millisecond later.
      await new Promise((r) => setTimeout(r, 2));
    }
    // Before, every start began again at 1: a restarted SMSC gave the ids of the messages before it.
    expect(new Set(ids).size).toBe(3);
  });
});
