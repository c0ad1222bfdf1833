/**
 * A message waiting in an SMPP connector longer than its dispatch lease (behind `throughput`, say:
 * a burst of long messages at 100 parts/s outlasts the 30 s lease) is claimed again by the
 * dispatcher and handed to the connector a second time while the first submission still holds it.
 * That retry waits for the first submission's answer; before, it queued the message again and the
 * handset got two copies. On SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { SmppConnector } from '../src/carriers/smpp/connector.js';
import type { CarrierSubmission } from '../src/domain/ports/carrier.js';
import type { Store } from '../src/domain/ports/store.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';
import { closeSmscs, scriptedSmsc } from './helpers/scripted-smsc.js';

afterEach(closeSmscs);

function message(messageId: string, attempt: number): CarrierSubmission {
  return { messageId, projectId: 'p1', from: '+15551230001', to: '+447700900001', body: `hello ${messageId}`, media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt, expiresAt: Date.now() + 60_000 };
}

function describeLeaseRetry(dialect: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(`a retry of an SMPP message still waiting in its connector (${dialect})`, () => {
    it('gets the first submission\'s answer, and the message is submitted once', async () => {
      const { store, close } = await open();
      const bodies: string[] = [];
      const smsc = await scriptedSmsc({
        submit(pdu, accept) {
          if (pdu.command === 'submit_sm') bodies.push(pdu.shortMessage.toString('latin1'));
          accept();
        },
      });
      // One part a second: the second message waits about a second behind the first.
      const config = parseSmppSection({ connectors: [{ id: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'sw', password: 'pw', throughput: 1, reconnectMinMs: 10, reconnectMaxMs: 20 }], routes: [] }).connectors[0]!;
      const connector = new SmppConnector(config, { store, logger: { info() {}, debug() {}, warn() {}, error() {} } as never, now: Date.now });
      await connector.start({ report() {}, inbound: async () => [] } as never);
      try {
        const first = connector.submit([message('m1', 1), message('m2', 1)]);
        // The dispatcher claims m2 again (its lease ran out) while the first submission holds it.
        const retry = connector.submit([message('m2', 2)]);
        const [a, b] = await first;
        expect(a).toEqual({ outcome: 'accepted', carrierMessageId: 'S1', parts: 1 });
        expect(b).toEqual({ outcome: 'accepted', carrierMessageId: 'S2', parts: 1 });
        expect(await retry).toEqual([b]);
        // Nothing more is sent later either.
        await new Promise((r) => setTimeout(r, 1200));
        expect(bodies).toEqual(['hello m1', 'hello m2']);
        const parts = await store.carrierParts.listForMessages(['m2']);
        expect(parts.map((p) => p.carrierMessageId)).toEqual(['s2']);
      } finally {
        await connector.stop();
        await close();
      }
    });
  });
}

const root = mkdtempSync(join(tmpdir(), 'switchboard-smpp-lease-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeLeaseRetry('sqlite', async () => {
  const store = await openSqliteStore({ file: join(root, randomUUID(), 'switchboard.sqlite') });
  return { store, close: () => store.close() };
});

const openPostgres = perTestPostgresStores(afterAll);
describe.skipIf(servicesOff)('PostgreSQL', () => {
  describeLeaseRetry('postgres', openPostgres);
});
