/**
 * Multipart MOs that arrive while storage is failing (a full disk, PostgreSQL read-only or out of
 * reach), on a node that then stops or crashes before storage is back. Each part of a multipart MO
 * was acknowledged to the SMSC as it was buffered in memory, only the last one waiting for the whole
 * message to be stored: through an outage every multipart MO's earlier parts were acknowledged and
 * held, and the node's end lost them — the SMSC, told it had them, resent only the last parts, and
 * each message was delivered `moReassemblyMs` later as its last part alone (found by a fault
 * campaign: 87 of 300 multipart MOs cut down so after a kill -9 on a full disk). Once storing an MO
 * has failed for want of storage, parts that would only be held are answered ESME_RX_T_APPN, and the
 * SMSC sends them again once the node is back. On SQLite, and on PostgreSQL+NATS when configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatorSmsc } from '../src/carriers/simulator/smsc/smsc-server.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { storageReadOnly } from './helpers/store-outage.js';

/** Multipart MOs sent while storage fails: each of 3 parts (long GSM-7 text, UDH). */
const MULTIPART = 6;
const text = (i: number) => `multipart ${i} ${'reassembled whole after the outage '.repeat(10)}`;

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-mo-outage-'));
let smsc: SimulatorSmsc | undefined;
let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
  await smsc?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A server on `dataDir` whose SMPP connector binds to `smsc` (short reassembly, so a fragment would show within the test). */
function start(port: number): Promise<TestServer> {
  return startTestServer({}, {
    dataDir,
    file: {
      smpp: {
        connectors: [{ id: 'smsc', host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', reconnectMinMs: 50, reconnectMaxMs: 200, moReassemblyMs: 1000 }],
        routes: [{ prefix: '+44', connector: 'smsc' }],
      },
    },
  });
}

describe('multipart MOs received while storage fails, on a node that stops before it is back', () => {
  it('are each stored whole after the restart, none cut down to its last part', async () => {
    smsc = new SimulatorSmsc(
      { host: '127.0.0.1', port: 0, systemId: 'switchboard', password: 'secret', maxBinds: 8, submitIdFormat: 'decimal', receiptIdFormat: 'decimal' },
      { rules: { getSettings: () => ({ delayMs: 0, delayedReceiptMs: 0, rules: [] }) }, logger: { info() {}, warn() {}, error() {} }, now: Date.now },
    );
    await smsc.start();
    const first = await start(smsc.port);
    server = first;
    await eventually(() => (smsc!.binds().length > 0 ? true : undefined), 10_000, 'the connector bound');

    await storageReadOnly(first, true);
    // A one-part MO meets the failing storage: answered ESME_RX_T_APPN, to be sent again.
    const sent = new Map<string, string>([['+447700900100', 'one part, sent before the others']]);
    smsc.injectMo({ from: '+447700900100', to: NUMBERS[0]!, text: sent.get('+447700900100')! });
    await eventually(() => (smsc!.stats.delivers_retried >= 1 ? true : undefined), 10_000, 'the first MO refused');
    for (let i = 0; i < MULTIPART; i++) {
      const from = `+4477009002${String(i).padStart(2, '0')}`;
      sent.set(from, text(i));
      expect(smsc.injectMo({ from, to: NUMBERS[0]!, text: text(i), split: 'udh8' })).toBe(3);
    }
    // Every multipart MO has had a part refused (its last one at least) before the node stops.
    await eventually(() => (smsc!.stats.delivers_retried >= 1 + MULTIPART ? true : undefined), 10_000, 'a part of each multipart MO refused');
    server = undefined;
    await first.close();
    if (first.settings.databaseUrl) await storageReadOnly(first, false);

    server = await start(smsc.port);
    const stored = new Map<string, string[]>();
    await eventually(
      async () => {
        stored.clear();
        const page = await server!.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?PageSize=100`);
        for (const m of page.body.messages as Array<{ from: string; body: string; direction: string }>) if (m.direction === 'inbound') stored.set(m.from, [...(stored.get(m.from) ?? []), m.body]);
        return stored.size === sent.size ? true : undefined;
      },
      20_000,
      'every MO stored',
    );
    // A fragment would be here too: a last part held alone is stored after moReassemblyMs (1 s).
    expect([...stored].map(([from, bodies]) => `${from} ${bodies.join(' | ')}`).sort()).toEqual([...sent].map(([from, body]) => `${from} ${body}`).sort());
  }, 60_000);
});
