/**
 * A node killed between the parts of a multipart MO: the parts it acknowledged are not sent again
 * by the SMSC, so they must survive the kill. Each part is kept in `mo_parts` before its
 * deliver_sm_resp; the node that starts next reads them back and completes the message with the
 * parts that come after it. The "kill" here is an assembler dropped without stopping (nothing is
 * flushed or drained), and a new one on the same database, as a restarted process would have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { newCounters, type SmppContext } from '../src/carriers/smpp/context.js';
import { MoAssembler } from '../src/carriers/smpp/mo-assembler.js';
import type { ShortMessagePdu } from '../src/carriers/smpp/pdu/codec.js';
import { ESM_CLASS, STATUS } from '../src/carriers/smpp/pdu/constants.js';
import type { InboundMessage } from '../src/domain/ports/carrier.js';
import { openPostgresStore } from '../src/store/dialects/postgres.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { createTestDatabase, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { postgresOutage, sqliteOutage, type StoreOutage } from './helpers/store-outage.js';

let store: KyselyStore;
let database: TestDatabase | undefined;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-mo-parts-'));
  if (serversOnPostgres) {
    database = await createTestDatabase();
    store = await openPostgresStore({ url: database.url, poolSize: 2 });
  } else store = await openSqliteStore({ file: join(dir, 'switchboard.db') });
});
afterEach(async () => {
  await store?.close();
  await database?.drop();
  database = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: 1, systemId: 'sw', password: 'pw', moReassemblyMs: 60_000 }], routes: [] }).connectors[0]!;
let now = 1_700_000_000_000;

/** A node's MO assembler on the test's database; what it hands to the engine goes to `got`. */
function node(got: InboundMessage[], on: KyselyStore = store) {
  const ctx: SmppContext = {
    config,
    deps: { store: on, logger: { info() {}, warn() {}, error() {} }, now: () => now },
    counters: newCounters(),
    sink: () => ({ report() {}, inbound: async (ms: readonly InboundMessage[]) => (got.push(...ms), ms.map(() => ({ routed: true, messageId: 'm', projectId: 'p' }))) }),
  };
  return { mo: new MoAssembler(ctx), ctx };
}

/** Part `seq` of `total` under 8-bit reference `ref`, GSM-7 unpacked. */
const part = (ref: number, total: number, seq: number, text: string): ShortMessagePdu => ({
  command: 'deliver_sm', sequence: seq, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900001' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
  esmClass: ESM_CLASS.UDHI, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
  shortMessage: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref, total, seq]), Buffer.from(text, 'latin1')]), tlvs: [],
});

async function keptParts(on: KyselyStore = store): Promise<number> {
  return (await on.moParts.listForCarrier(config.id)).length;
}

describe('multipart MO parts acknowledged before a kill', () => {
  it('are read back at the next start and completed by the parts the SMSC sends after it', async () => {
    const before: InboundMessage[] = [];
    const first = node(before);
    await first.mo.recover();
    expect(await first.mo.onMo(part(9, 3, 1, 'Hello '))).toBe(STATUS.ESME_ROK);
    expect(await first.mo.onMo(part(9, 3, 2, 'long '))).toBe(STATUS.ESME_ROK);
    // Killed here: the first node is dropped without stopping. The SMSC sends only part 3 again.
    expect(before).toEqual([]);
    const after: InboundMessage[] = [];
    const second = node(after);
    await second.mo.recover();
    now += 1000;
    expect(await second.mo.onMo(part(9, 3, 3, 'world'))).toBe(STATUS.ESME_ROK);
    expect(after.map((m) => m.body)).toEqual(['Hello long world']);
    // Marked a redelivery with an id of its message (reference, count, first part's time): had the
    // first node stored it before the kill, the engine finds that copy and does not store it again.
    expect(after[0]).toMatchObject({ from: '+447700900001', to: '+15551230001', segments: 3, redelivery: true, carrierMessageId: `concat:9/3@${now - 1000}` });
    expect(second.ctx.counters.mo_incomplete).toBe(0);
    await second.mo.flushAll();
    expect(await keptParts()).toBe(0);
  });

  it('keep the timeout: read back after moReassemblyMs from the first part, they go out with what came', async () => {
    const first = node([]);
    await first.mo.recover();
    expect(await first.mo.onMo(part(4, 3, 1, 'only '))).toBe(STATUS.ESME_ROK);
    expect(await first.mo.onMo(part(4, 3, 3, 'ends'))).toBe(STATUS.ESME_ROK);
    const after: InboundMessage[] = [];
    const second = node(after);
    await second.mo.recover();
    now += config.moReassemblyMs;
    second.mo.flushStale(now);
    await second.mo.flushAll();
    expect(after.map((m) => m.body)).toEqual(['only ends']);
    expect(second.ctx.counters.mo_incomplete).toBe(1);
    expect(await keptParts()).toBe(0);
  });

  it('are forgotten once their message is stored, so nothing is read back twice', async () => {
    const got: InboundMessage[] = [];
    const one = node(got);
    await one.mo.recover();
    expect(await one.mo.onMo(part(5, 2, 1, 'a'))).toBe(STATUS.ESME_ROK);
    expect(await keptParts()).toBe(1);
    expect(await one.mo.onMo(part(5, 2, 2, 'b'))).toBe(STATUS.ESME_ROK);
    await one.mo.flushAll();
    expect(got.map((m) => m.body)).toEqual(['ab']);
    expect(await keptParts()).toBe(0);
  });
});

describe('a multipart MO part that cannot be kept', () => {
  let outage: StoreOutage;
  beforeEach(async () => {
    outage = serversOnPostgres ? await postgresOutage() : await sqliteOutage(join(dir, 'outage.db'));
  });
  afterEach(async () => {
    await outage?.restore();
    await outage?.close();
  });

  it('is answered ESME_RX_T_APPN (the SMSC sends it again), and taken once storage is back', async () => {
    const got: InboundMessage[] = [];
    const one = node(got, outage.store);
    await one.mo.recover();
    await outage.fail();
    // Before, it was acknowledged and held in memory only: a kill before the message completed lost it.
    expect(await one.mo.onMo(part(6, 2, 1, 'kept '))).toBe(STATUS.ESME_RX_T_APPN);
    expect(one.ctx.counters.mo_deferred).toBe(1);
    await outage.restore();
    now += 10_000;
    expect(await one.mo.onMo(part(6, 2, 1, 'kept '))).toBe(STATUS.ESME_ROK);
    expect(await keptParts(outage.store)).toBe(1);
    expect(await one.mo.onMo(part(6, 2, 2, 'once'))).toBe(STATUS.ESME_ROK);
    await one.mo.flushAll();
    expect(got.map((m) => m.body)).toEqual(['kept once']);
    expect(await keptParts(outage.store)).toBe(0);
  });
});
