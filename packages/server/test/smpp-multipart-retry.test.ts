/**
 * A multipart message whose first part the SMSC accepted and whose second part kept failing
 * transiently goes back to the dispatcher's retry schedule. Its retry — on this node, or on another
 * one / after a restart, which only has the database — submits only the part the SMSC has not taken,
 * under the same concatenation reference (so the handset can reassemble), reports the first part's
 * id as the message's, and both parts' receipts decide the message. On SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import { decodePdu, encodePdu, type Pdu } from '../src/carriers/smpp/pdu/codec.js';
import { STATUS } from '../src/carriers/smpp/pdu/constants.js';
import { PduFramer } from '../src/carriers/smpp/pdu/framer.js';
import type { CarrierSubmission, StatusReport } from '../src/domain/ports/carrier.js';
import type { Store } from '../src/domain/ports/store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** One submit_sm as the SMSC saw it: its 8-bit UDH concatenation fields. */
interface Seen {
  readonly reference: number;
  readonly total: number;
  readonly seq: number;
}

/**
 * An SMSC that accepts part 1 and answers ESME_RSYSERR to part 2 while `failPart2` holds; each
 * accepted part gets the id `<prefix><n>`, listed in `ids`. `receipt(id)` sends a DELIVRD receipt on the last bind.
 */
async function smsc(state: { failPart2: boolean; prefix: string }) {
  const seen: Seen[] = [];
  const ids: string[] = [];
  let last: Socket | undefined;
  const server = createServer((socket) => {
    sockets.add(socket);
    last = socket;
    socket.on('error', () => {});
    const framer = new PduFramer();
    const reply = (p: Pdu) => socket.destroyed || socket.write(encodePdu(p));
    socket.on('data', (chunk) => {
      for (const f of framer.push(chunk).frames) {
        const r = decodePdu(f);
        if (!r.ok) continue;
        const pdu = r.pdu;
        if (pdu.command.startsWith('bind_')) reply({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status: 0, systemId: 'SMSC', tlvs: [] });
        else if (pdu.command === 'enquire_link') reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
        else if (pdu.command === 'unbind') reply({ command: 'unbind_resp', sequence: pdu.sequence, status: 0 });
        else if (pdu.command === 'submit_sm') {
          const udh = pdu.shortMessage;
          const part = { reference: udh[3]!, total: udh[4]!, seq: udh[5]! };
          seen.push(part);
          const fail = part.seq === 2 && state.failPart2;
          if (!fail) ids.push(`${state.prefix}${seen.length}`);
          reply({ command: 'submit_sm_resp', sequence: pdu.sequence, status: fail ? STATUS.ESME_RSYSERR : 0, messageId: fail ? '' : ids.at(-1)!, tlvs: [] });
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const receipt = (id: string) => {
    const text = Buffer.from(`id:${id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:`, 'latin1');
    last!.write(
      encodePdu({
        command: 'deliver_sm', sequence: 900 + seen.length, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
        esmClass: 0x04, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0, shortMessage: text, tlvs: [],
      } as Pdu),
    );
  };
  return { port, seen, ids, receipt };
}

function connector(port: number, store: Store) {
  const config = parseSmppSection({ connectors: [{ id: 'retrying', host: '127.0.0.1', port, systemId: 'sw', password: 'pw', throughput: 0, maxSubmitAttempts: 2, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
  const logger = { info() {}, debug() {}, warn() {}, error() {} };
  return new SmppConnector(config, { store, logger: logger as never, now: Date.now });
}

const reportsTo = (reports: StatusReport[]) => ({ report: (r: readonly StatusReport[]) => void reports.push(...r), inbound: async () => [] }) as never;

function longMessage(attempt: number, messageId: string): CarrierSubmission {
  return { messageId, projectId: 'p1', from: '+15551230001', to: '+447700900001', body: 'x'.repeat(200), media: [], kind: 'sms', encoding: 'GSM-7', segments: 2, attempt, expiresAt: Date.now() + 60_000 };
}

/** Resolves once `done()` holds (polled every 10 ms). */
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => done() && (clearInterval(check), resolve()), 10);
  });
}

function describeRetry(dialect: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(`a multipart message retried after its first part was accepted (${dialect})`, () => {
    it('submits only the part the SMSC did not take, on the same node, with the same reference', async () => {
      const { store, close } = await open();
      const state = { failPart2: true, prefix: 'A' };
      const { port, seen, ids, receipt } = await smsc(state);
      const reports: StatusReport[] = [];
      const c = connector(port, store);
      await c.start(reportsTo(reports));
      try {
        const id = randomUUID();
        const [first] = await c.submit([longMessage(1, id)]);
        expect(first).toMatchObject({ outcome: 'transient', detail: expect.stringMatching(/ESME_RSYSERR .* 2 times/) });
        expect(seen.map((s) => s.seq)).toEqual([1, 2, 2]);
        state.failPart2 = false;
        state.prefix = 'B';
        const [second] = await c.submit([longMessage(2, id)]);
        expect(second).toEqual({ outcome: 'accepted', carrierMessageId: 'A1', parts: 2 });
        // Part 1 went once; part 2 came again with part 1's reference and total.
        expect(seen.map((s) => s.seq)).toEqual([1, 2, 2, 2]);
        expect(new Set(seen.map((s) => `${s.reference}/${s.total}`)).size).toBe(1);
        // The SMSC took part 1 once, and part 2 on the retry.
        expect(ids).toEqual(['A1', 'B4']);
        for (const taken of ids) receipt(taken);
        await until(() => reports.length > 0);
        expect(reports).toEqual([expect.objectContaining({ messageId: id, status: 'delivered' })]);
      } finally {
        await c.stop();
        await close();
      }
    });

    it('submits only the part the SMSC did not take when the retry runs on a fresh connector (restart, another node)', async () => {
      const { store, close } = await open();
      const state = { failPart2: true, prefix: 'A' };
      const { port, seen, ids, receipt } = await smsc(state);
      const id = randomUUID();
      const before = connector(port, store);
      await before.start(reportsTo([]));
      try {
        const [first] = await before.submit([longMessage(1, id)]);
        expect(first).toMatchObject({ outcome: 'transient' });
      } finally {
        await before.stop();
      }
      state.failPart2 = false;
      state.prefix = 'B';
      const reports: StatusReport[] = [];
      const after = connector(port, store);
      await after.start(reportsTo(reports));
      try {
        const [second] = await after.submit([longMessage(2, id)]);
        expect(second).toEqual({ outcome: 'accepted', carrierMessageId: 'A1', parts: 2 });
        expect(seen.map((s) => s.seq)).toEqual([1, 2, 2, 2]);
        expect(new Set(seen.map((s) => `${s.reference}/${s.total}`)).size).toBe(1);
        // The SMSC took part 1 once, and part 2 on the retry.
        expect(ids).toEqual(['A1', 'B4']);
        for (const taken of ids) receipt(taken);
        await until(() => reports.length > 0);
        expect(reports).toEqual([expect.objectContaining({ messageId: id, status: 'delivered' })]);
        expect((await store.carrierParts.listForMessage('p1', id)).map((p) => [p.partIndex, p.status])).toEqual([
          [1, 'delivered'],
          [2, 'delivered'],
        ]);
      } finally {
        await after.stop();
        await close();
      }
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-smpp-retry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeRetry('sqlite', async () => {
  const file = join(root, randomUUID(), 'switchboard.sqlite');
  const store = await openSqliteStore({ file });
  return { store, close: () => store.close() };
});

const openPostgres = perTestPostgresStores(afterAll);
describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeRetry('postgres', openPostgres);
});
