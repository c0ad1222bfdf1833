/**
 * A node stopped cleanly while an MO from its SMSC is being stored. The connector unbound as soon as
 * its submits were answered and closed the link, so the deliver_sm_resp of an MO whose write was
 * still in the database never went out: the SMSC, right to think it undelivered, sent it again to
 * the next bind, and the handset's one message was stored twice (found by a fault campaign: 2
 * duplicate inbound messages in ~1,000 single-part MOs per clean stop, on both backends). Now the
 * unbind waits (at most 2 s) for the MOs and receipts being stored to be answered, and those that
 * arrive meanwhile are answered ESME_RX_T_APPN, to come again on the next bind. The node is stopped
 * while the SMSC streams it more MOs than it stores at once (a window of deliver_sm always
 * outstanding), so MOs are being stored whenever the unbind comes. On SQLite, and on
 * PostgreSQL+NATS when configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatorSmsc } from '../src/carriers/simulator/smsc/smsc-server.js';
import type { SmppConnector } from '../src/carriers/smpp/connector.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-stop-mo-'));
let smsc: SimulatorSmsc | undefined;
let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
  await smsc?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function start(port: number): Promise<TestServer> {
  return startTestServer({}, {
    dataDir,
    file: { smpp: { connectors: [{ id: 'smsc', host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', reconnectMinMs: 50, reconnectMaxMs: 200 }], routes: [{ prefix: '+44', connector: 'smsc' }] } },
  });
}

/** MOs the SMSC streams to the node while it stops. */
const MOS = 2000;

describe('a node stopped while MOs are being stored', () => {
  it('answers them before unbinding, so the SMSC does not send them again and each is stored once', async () => {
    smsc = new SimulatorSmsc(
      { host: '127.0.0.1', port: 0, systemId: 'switchboard', password: 'secret', maxBinds: 8, submitIdFormat: 'decimal', receiptIdFormat: 'decimal' },
      { rules: { getSettings: () => ({ delayMs: 0, delayedReceiptMs: 0, rules: [] }) }, logger: { info() {}, warn() {}, error() {} }, now: Date.now },
    );
    await smsc.start();
    const first = await start(smsc.port);
    server = first;
    await eventually(() => (smsc!.binds().length > 0 ? true : undefined), 10_000, 'the connector bound');
    const connector = first.carriers.find((c) => c.descriptor.id === 'smsc') as SmppConnector;

    for (let i = 0; i < MOS; i++) smsc.injectMo({ from: `+4477009${String(i).padStart(5, '0')}`, to: NUMBERS[0]!, text: `mo ${i}` });
    // The node stops while the SMSC streams them: some are being stored when its connector unbinds.
    await eventually(() => (connector.status().counters.mo_received >= 100 ? true : undefined), 10_000, 'MOs streaming');
    server = undefined;
    await first.close();
    expect(smsc.undelivered).toBeGreaterThan(0);

    server = await start(smsc.port);
    // What the SMSC still owed (those not answered before the stop) has been sent to the new bind.
    await eventually(() => (smsc!.undelivered === 0 && smsc!.binds().length > 0 ? true : undefined), 20_000, 'nothing owed by the SMSC');
    const stored = new Map<string, number>();
    let next: string | undefined = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?PageSize=1000`;
    while (next) {
      const page = await server.api(next);
      for (const m of page.body.messages as Array<{ from: string; direction: string }>) if (m.direction === 'inbound') stored.set(m.from, (stored.get(m.from) ?? 0) + 1);
      next = page.body.next_page_uri ?? undefined;
    }
    expect(stored.size).toBe(MOS);
    expect([...stored].filter(([, n]) => n > 1)).toEqual([]);
  }, 60_000);
});
