/**
 * A RELAY session's missed events and its resume racing each other on PostgreSQL
 * (`store/relay-resume-store.ts`): an event appended while a claim runs, on the node that parked
 * the session or on another, reaches the claimed session or nothing is left behind — never a row
 * nobody will read and a client that missed the event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParkedRelaySession, RelayEventDelivery } from '../../src/domain/ports/relay-resume.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { SharedResumeStore } from '../../src/store/relay-resume-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

describe.skipIf(servicesOff)('RELAY resume racing missed events on PostgreSQL', () => {
  let db: TestDatabase;
  let stores: KyselyStore[] = [];
  const budget = { take: () => true, give: () => {} };
  const resumeStore = (store: KyselyStore, instanceId: string): SharedResumeStore => store.relayResumeStore({ instanceId, maxEvents: 1_000, budget, eventCost: (p) => p.length });
  const session = (protocol: string): ParkedRelaySession => ({ protocol, projectId: 'p1', tokenId: null, contexts: ['office'], eventAcks: false, parkedAt: 1_000, expiresAt: Date.now() + 60_000, events: [] });
  const event = (key: string): RelayEventDelivery => ({ projectId: 'p1', contexts: ['office'], protocols: [], key, at: 2_000, params: JSON.stringify({ key }) });

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two nodes sharing the database, each with its own pool.
    stores = [await openPostgresStore({ url: db.url, poolSize: 4 }), await openPostgresStore({ url: db.url, poolSize: 4 })];
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await db?.drop();
  });

  it('an event appended by the parking node while a claim runs, there or on another node, is claimed or never stored', async () => {
    const [a, b] = [resumeStore(stores[0]!, 'node-a'), resumeStore(stores[1]!, 'node-b')];
    for (let round = 0; round < 40; round++) {
      const protocol = `signalwire_race_${round}`;
      await a.park(session(protocol));
      await a.deliver([event(`${protocol}:before`)]);
      const racing = event(`${protocol}:racing`);
      // Every node hears every event (the bus); the claim runs on the parking node or on the other.
      const claimer = round % 2 === 0 ? a : b;
      const [claimed] = await Promise.all([claimer.claim('p1', protocol, Date.now()), a.deliver([racing]), b.deliver([racing])]);
      expect(claimed, `round ${round}`).toBeDefined();
      const keys = claimed!.events.map((e) => e.key);
      expect(keys[0], `round ${round}`).toBe(`${protocol}:before`);
      expect(keys, `round ${round}: the racing event reaches the session`).toContain(racing.key);
      expect(new Set(keys).size, `round ${round}: each event once`).toBe(keys.length);
      const left = await stores[0]!.db.selectFrom('relay_parked_events').select('key').where('protocol', '=', protocol).execute();
      expect(left, `round ${round}: nothing left behind`).toEqual([]);
    }
  });
});
