/**
 * A batch of events for many parked RELAY sessions on PostgreSQL (`store/relay-resume-store.ts`):
 * one event goes to every parked session subscribed to its context, so a batch makes events ×
 * sessions rows, and their insert must stay within PostgreSQL's 65,535 bound parameters. Found by
 * the RELAY fuzzer (scripts/fuzz/relay-connect.mjs): sends from hundreds of dropped sessions made
 * appends of over 10,833 rows fail ("bind message has 1664 parameter formats but 0 parameters"),
 * and the parked sessions missed those events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParkedRelaySession, RelayEventDelivery } from '../../src/domain/ports/relay-resume.js';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('RELAY missed events for many parked sessions on PostgreSQL', () => {
  const budget = { take: () => true, give: () => {} };
  const session = (protocol: string): ParkedRelaySession => ({ protocol, projectId: 'p1', tokenId: null, contexts: ['office'], eventAcks: false, parkedAt: 1_000, expiresAt: Date.now() + 60_000, events: [] });
  const event = (key: string): RelayEventDelivery => ({ projectId: 'p1', contexts: ['office'], protocols: [], key, at: 2_000, params: '{}' });

  const suite = postgresStoreForFile({ beforeAll, afterAll }, 4);

  it('stores a batch whose rows need more than 65,535 parameters in one statement, and each session claims all of it', async () => {
    const resume = suite.store.relayResumeStore({ instanceId: 'node-a', maxEvents: 2_000, budget, eventCost: (p) => p.length });
    const sessions = Array.from({ length: 11 }, (_, i) => `signalwire_many_${i}`);
    for (const p of sessions) await resume.park(session(p));
    // 11 sessions × 1,001 events: 11,011 rows, 66,066 parameters at 6 a row.
    const batch = Array.from({ length: 1_001 }, (_, i) => event(`k${i}`));
    await resume.deliver(batch);
    const claimed = await resume.claim('p1', sessions[10]!, Date.now());
    expect(claimed?.events.map((e) => e.key)).toEqual(batch.map((e) => e.key));
  });
});
