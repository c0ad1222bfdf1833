/**
 * A server killed with SIGKILL between the parts of a multipart MO. The SMSC was told the first
 * parts were taken (deliver_sm_resp ESME_ROK) and sends only the rest after the restart. Before,
 * the parts were held in memory only: the restarted server never saw them and, after
 * `moReassemblyMs`, stored the last part alone as the handset's message. Each part is kept in
 * `mo_parts` before it is acknowledged now: the restarted server reads them back and stores the
 * message whole, once, and forgets the parts.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePdu, type ShortMessagePdu } from '../src/carriers/smpp/pdu/codec.js';
import { ESM_CLASS, STATUS } from '../src/carriers/smpp/pdu/constants.js';
import { crashTestEnv, freePort, killNow, readServerRows, serverIsBuilt, startBuiltServer } from './helpers/built-server.js';
import { createTestDatabase, serversOnPostgres, type TestDatabase } from './helpers/postgres.js';
import { closeSmscs, smscServer } from './helpers/scripted-smsc.js';
import { eventually } from './helpers/server.js';

const PROJECT = 'c0ffee00-2727-4444-8555-666677778888';
const TOKEN = 'PTsmppMoPartsKillToken00000000000000000000000000';

let port: number;
let dataDir: string;
let database: TestDatabase | undefined;
let server: ChildProcess | undefined;
let bound: Socket | undefined;
let sequence = 500;
const answers = new Map<number, (status: number) => void>();

async function start(): Promise<void> {
  bound = undefined;
  ({ child: server } = await startBuiltServer({
    port,
    timeoutMs: 15_000,
    args: ['--config', join(dataDir, 'switchboard.json')],
    env: crashTestEnv({ dataDir: join(dataDir, 'data'), project: PROJECT, token: TOKEN, database }),
  }));
  await eventually(() => bound, 10_000, 'the bind');
}

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'switchboard-mo-parts-kill-'));
  if (serversOnPostgres) database = await createTestDatabase();
  const smsc = await smscServer((pdu, reply, socket) => {
    if (pdu.command.startsWith('bind_')) {
      reply({ command: `${pdu.command}_resp` as 'bind_transceiver_resp', sequence: pdu.sequence, status: 0, systemId: 'SMSC', tlvs: [] });
      bound = socket;
    } else if (pdu.command === 'enquire_link') reply({ command: 'enquire_link_resp', sequence: pdu.sequence, status: 0 });
    else if (pdu.command === 'unbind') reply({ command: 'unbind_resp', sequence: pdu.sequence, status: 0 });
    else if (pdu.command === 'deliver_sm_resp') answers.get(pdu.sequence)?.(pdu.status);
  });
  writeFileSync(
    join(dataDir, 'switchboard.json'),
    JSON.stringify({
      smpp: {
        // A restart takes well under this: before the change, the last part alone was stored when it ran out.
        connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc, systemId: 'sw', password: 'pw', throughput: 0, reconnectMinMs: 50, reconnectMaxMs: 200, moReassemblyMs: 20_000 }],
        routes: [{ prefix: '+44', connector: 'smsc' }],
      },
    }),
  );
});
afterAll(async () => {
  await killNow(server);
  await closeSmscs();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Part `seq` of `total` under 8-bit reference `ref` from a handset to the project's number; resolves with the command_status it was answered. */
function sendPart(ref: number, total: number, seq: number, text: string): Promise<number> {
  const pdu: ShortMessagePdu = {
    command: 'deliver_sm', sequence: ++sequence, status: 0, serviceType: '', source: { ton: 1, npi: 1, addr: '447700900127' }, destination: { ton: 1, npi: 1, addr: '15551230001' },
    esmClass: ESM_CLASS.UDHI, protocolId: 0, priorityFlag: 0, scheduleDeliveryTime: '', validityPeriod: '', registeredDelivery: 0, replaceIfPresent: 0, dataCoding: 0, smDefaultMsgId: 0,
    shortMessage: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref, total, seq]), Buffer.from(text, 'latin1')]), tlvs: [],
  };
  const socket = bound!;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to part ${seq}`)), 10_000);
    answers.set(pdu.sequence, (status) => {
      clearTimeout(timer);
      resolve(status);
    });
    socket.write(encodePdu(pdu));
  });
}

const inbound = () => readServerRows<{ body: string }>({ dataDir: join(dataDir, 'data'), database }, `select body from messages where direction = 'inbound' and from_number = $1`, ['+447700900127']);

describe.skipIf(!serverIsBuilt)('a server killed with SIGKILL between the parts of a multipart MO', () => {
  it('stores the message whole after the restart, with the parts it acknowledged before the kill', async () => {
    await start();
    expect(await sendPart(27, 3, 1, 'Parts taken before ')).toBe(STATUS.ESME_ROK);
    expect(await sendPart(27, 3, 2, 'the kill survive ')).toBe(STATUS.ESME_ROK);
    await killNow(server);
    await start();
    // The SMSC sends only what it was not told was taken.
    expect(await sendPart(27, 3, 3, 'it.')).toBe(STATUS.ESME_ROK);
    const rows = await eventually(async () => {
      const r = await inbound();
      return r.length ? r : undefined;
    }, 30_000, 'the inbound message');
    expect(rows.map((r) => r.body)).toEqual(['Parts taken before the kill survive it.']);
    // Its parts are forgotten once it is stored.
    await eventually(async () => ((await readServerRows({ dataDir: join(dataDir, 'data'), database }, 'select seq from mo_parts')).length === 0 ? true : undefined), 10_000, 'the kept parts deleted');
  }, 60_000);
});
