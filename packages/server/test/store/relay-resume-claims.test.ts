/**
 * Claims of parked RELAY sessions kept in the database (store/relay-resume-store.ts,
 * store/parked-rows.ts), on SQLite (the hand-over store) and, with the test services, PostgreSQL:
 * - the session's token is checked before its rows are taken: a connect refused because that
 *   check failed (the credential read) used to have taken them, and its client, back a moment
 *   later, found nothing left (`session_restored: false`, its missed events gone);
 * - a session dropped at its claim (its events over the claiming node's budget, or its token
 *   revoked) takes its checkpoint with it, whichever node wrote it: the claiming node forgot only
 *   its own, so the parking node's stayed and the client, coming back, resumed from it
 *   (`session_restored: true`) what had been dropped. A checkpoint saved after the park (the
 *   session live again elsewhere) stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParkedRelaySession, ParkedSessionEnd, RelaySessionCheckpoint, TokenCheck } from '../../src/domain/ports/relay-resume.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

const P = '11111111-1111-4111-8111-111111111111';

const dialects: Array<{ name: string; skip: boolean; open(): Promise<KyselyStore> }> = [];
let pg: TestDatabase | undefined;
dialects.push({ name: 'SQLite', skip: false, open: async () => (await openSqliteStore({ file: ':memory:' })) as KyselyStore });
dialects.push({ name: 'PostgreSQL', skip: servicesOff, open: async () => openPostgresStore({ url: (pg ??= await createTestDatabase()).url, poolSize: 4 }) as Promise<KyselyStore> });

afterAll(async () => {
  await pg?.drop();
});

function session(protocol: string, expiresAt: number, tokenId: string | null = 't1'): ParkedRelaySession {
  const events = ['m1:delivered', 'm2:received'].map((key, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, key, at: 1_000 + i, params: JSON.stringify({ key }) }));
  return { protocol, projectId: P, tokenId, contexts: ['office'], eventAcks: true, parkedAt: 1_000, expiresAt, events };
}

function point(protocol: string, expiresAt: number): RelaySessionCheckpoint {
  return { protocol, projectId: P, tokenId: 't1', contexts: ['office'], eventAcks: true, since: 5_000, had: ['m0:sent'], expiresAt };
}

const failing: TokenCheck = () => Promise.reject(new Error('credentials unreadable'));
const active: TokenCheck = async () => true;

for (const d of dialects) {
  describe.skipIf(d.skip)(`claims of parked RELAY sessions on ${d.name}`, () => {
    let store: KyselyStore;
    beforeAll(async () => {
      store = await d.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    /** A node's resume store; `fits` says whether its budget takes a claimed session's events. */
    function node(instanceId: string, fits = true, more: { maxPerProject?: number; maxEvents?: number } = {}) {
      const dropped: Array<[string, ParkedSessionEnd]> = [];
      const resume = store.relayResumeStore({ instanceId, maxEvents: more.maxEvents ?? 100, ...(more.maxPerProject ? { maxPerProject: more.maxPerProject } : {}), budget: { take: () => fits, give: () => {} }, eventCost: (p) => p.length, onDropped: (p, why) => dropped.push([p, why]) });
      return { resume, dropped, checkpoints: store.relayCheckpoints(instanceId) };
    }

    it('leave the session and its events when the token check fails, for the next attempt', async () => {
      const a = node('node-a');
      const b = node('node-b');
      await a.resume.park(session('signalwire_check', Date.now() + 60_000));
      await expect(b.resume.claim(P, 'signalwire_check', Date.now(), failing)).rejects.toThrow('credentials unreadable');
      await expect(a.resume.claim(P, 'signalwire_check', Date.now(), failing)).rejects.toThrow('credentials unreadable');
      const back = await b.resume.claim(P, 'signalwire_check', Date.now(), active);
      expect(back?.events.map((e) => e.key)).toEqual(['m1:delivered', 'm2:received']);
      expect(a.dropped.concat(b.dropped)).toEqual([]);

      // A checkpoint's token is checked the same way before it is taken.
      await a.checkpoints.save([point('signalwire_check', Date.now() + 60_000)], []);
      await expect(b.checkpoints.take(P, 'signalwire_check', Date.now(), failing)).rejects.toThrow('credentials unreadable');
      expect(await b.checkpoints.take(P, 'signalwire_check', Date.now(), active)).toMatchObject({ protocol: 'signalwire_check', had: ['m0:sent'] });
    });

    it('end a session whose token was revoked, its checkpoint with it', async () => {
      const a = node('node-a');
      const b = node('node-b');
      const expiresAt = Date.now() + 60_000;
      await a.resume.park(session('signalwire_revoked', expiresAt));
      await a.checkpoints.save([point('signalwire_revoked', expiresAt)], []);
      expect(await b.resume.claim(P, 'signalwire_revoked', Date.now(), async () => false)).toBeUndefined();
      expect(b.dropped).toEqual([['signalwire_revoked', 'revoked']]);
      expect(await node('node-c').checkpoints.take(P, 'signalwire_revoked', Date.now())).toBeUndefined();
      expect(await a.resume.claim(P, 'signalwire_revoked', Date.now(), active)).toBeUndefined();
    });

    it("drop a session whose events overflow the claiming node's budget with the checkpoint another node wrote", async () => {
      const a = node('node-a');
      const b = node('node-b', false);
      const expiresAt = Date.now() + 60_000;
      await a.resume.park(session('signalwire_over', expiresAt));
      // The parking node saves the park's checkpoint (the same expiry as the park).
      await a.checkpoints.save([point('signalwire_over', expiresAt)], []);
      expect(await b.resume.claim(P, 'signalwire_over', Date.now(), active)).toBeUndefined();
      expect(b.dropped).toEqual([['signalwire_over', 'overflow']]);
      // The client back on a third node: nothing to resume, not even from the checkpoint.
      expect(await node('node-c').checkpoints.take(P, 'signalwire_over', Date.now(), active)).toBeUndefined();
    });

    it('keep a checkpoint saved after the park when the park is dropped at its claim', async () => {
      const a = node('node-a');
      const b = node('node-b', false);
      const expiresAt = Date.now() + 60_000;
      await a.resume.park(session('signalwire_later', expiresAt));
      // Live again on node C since (its checkpoint is newer: a later expiry).
      await node('node-c').checkpoints.save([point('signalwire_later', expiresAt + 5_000)], []);
      expect(await b.resume.claim(P, 'signalwire_later', Date.now(), active)).toBeUndefined();
      expect(await b.checkpoints.take(P, 'signalwire_later', Date.now(), active)).toMatchObject({ protocol: 'signalwire_later', expiresAt: expiresAt + 5_000 });
    });

    it('of a session parked again on another node are not undone by the node that first parked it', async () => {
      // Node A parked the session; its client resumed on node B, and dropped again there: B parked it.
      // Node A, still listing its own park, crowds it out (a new park of the project) or finds it
      // over its buffer: it deleted B's park, whose client then found nothing.
      const a = node('node-a', true, { maxPerProject: 1, maxEvents: 3 });
      const b = node('node-b');
      const expiresAt = Date.now() + 60_000;
      for (const protocol of ['signalwire_crowded', 'signalwire_over_b']) {
        await a.resume.park(session(protocol, expiresAt));
        const resumed = await b.resume.claim(P, protocol, Date.now(), active);
        expect(resumed?.events).toHaveLength(2);
        await b.resume.park({ ...resumed!, parkedAt: 2_000 });
      }
      // Events for the project's sessions, heard by every node: over node A's bound of 3 for its old park.
      const event = (key: string) => ({ projectId: P, contexts: ['office'], protocols: [], key, at: 3_000, params: JSON.stringify({ key }) });
      await Promise.all([a.resume.deliver([event('m3:delivered'), event('m4:delivered')]), b.resume.deliver([event('m3:delivered'), event('m4:delivered')])]);
      await a.resume.park(session('signalwire_new', expiresAt));
      for (const protocol of ['signalwire_crowded', 'signalwire_over_b']) {
        const back = await b.resume.claim(P, protocol, Date.now(), active);
        expect(back?.events.map((e) => e.key), protocol).toEqual(['m1:delivered', 'm2:received', 'm3:delivered', 'm4:delivered']);
      }
    });
  });
}
