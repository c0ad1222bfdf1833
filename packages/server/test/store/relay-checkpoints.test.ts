/**
 * RELAY session checkpoints in the database (store/relay-checkpoints.ts), on SQLite and, with the
 * test services, PostgreSQL: taken once, forgotten, expired, and never replaced by an older one. A
 * node whose client moved on writes the checkpoint of its park a tick later; had it replaced the
 * newer one the other node saved meanwhile, a crash there would resume the session from the old
 * position (its contexts since then missing). Nor does that node, forgetting the park it still
 * lists (crowded out, dropped), delete the checkpoint of the session live on the other node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelaySessionCheckpoint } from '../../src/domain/ports/relay-resume.js';
import { openPostgresStore } from '../../src/store/dialects/postgres.js';
import { openSqliteStore } from '../../src/store/dialects/sqlite.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, servicesOff, type TestDatabase } from '../helpers/postgres.js';

const P = '11111111-1111-4111-8111-111111111111';
const Q = '22222222-2222-4222-8222-222222222222';

function point(protocol: string, expiresAt: number, had: string[], contexts = ['office']): RelaySessionCheckpoint {
  return { protocol, projectId: P, tokenId: null, contexts, eventAcks: true, since: 5_000, had, expiresAt };
}

const dialects: Array<{ name: string; skip: boolean; open(): Promise<KyselyStore>; done?: () => Promise<void> }> = [];
let pg: TestDatabase | undefined;
dialects.push({ name: 'SQLite', skip: false, open: async () => (await openSqliteStore({ file: ':memory:' })) as KyselyStore });
dialects.push({ name: 'PostgreSQL', skip: servicesOff, open: async () => openPostgresStore({ url: (pg ??= await createTestDatabase()).url, poolSize: 2 }) as Promise<KyselyStore> });

afterAll(async () => {
  await pg?.drop();
});

for (const d of dialects) {
  describe.skipIf(d.skip)(`RELAY checkpoints on ${d.name}`, () => {
    let store: KyselyStore;
    beforeAll(async () => {
      store = await d.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('are taken once, by their project, before they expire', async () => {
      const a = store.relayCheckpoints('node-a');
      await a.save([point('signalwire_take', 10_000, ['m1:delivered', 'm2:received'])], []);
      expect(await a.take('22222222-2222-4222-8222-222222222222', 'signalwire_take', 1_000)).toBeUndefined();
      expect(await a.take(P, 'signalwire_take', 1_000)).toEqual(point('signalwire_take', 10_000, ['m1:delivered', 'm2:received']));
      expect(await a.take(P, 'signalwire_take', 1_000)).toBeUndefined();
      await a.save([point('signalwire_old', 10_000, [])], []);
      expect(await a.take(P, 'signalwire_old', 10_000)).toBeUndefined();
    });

    it('are forgotten when their session ends, and not replaced by an older one from another node', async () => {
      const [a, b] = [store.relayCheckpoints('node-a'), store.relayCheckpoints('node-b')];
      await a.save([point('signalwire_gone', 10_000, [])], []);
      await a.save([], ['signalwire_gone']);
      expect(await a.take(P, 'signalwire_gone', 1_000)).toBeUndefined();

      // Resumed on node B, which saved it; node A's write of the park comes after.
      await b.save([point('signalwire_moved', 20_000, ['m1:sent'], ['office', 'sales'])], []);
      await a.save([point('signalwire_moved', 15_000, [])], []);
      expect(await b.take(P, 'signalwire_moved', 1_000)).toEqual(point('signalwire_moved', 20_000, ['m1:sent'], ['office', 'sales']));
      // A later save of its own replaces it.
      await b.save([point('signalwire_live', 20_000, ['m1:sent'])], []);
      await b.save([point('signalwire_live', 21_000, ['m1:delivered'])], []);
      expect((await b.take(P, 'signalwire_live', 1_000))?.had).toEqual(['m1:delivered']);
    });

    it("are saved when two nodes save a new one at once, another project's with them", async () => {
      // A session of P a few seconds old moved from node A to node B: both save it in the same tick,
      // node A with a session of another project. On PostgreSQL neither had a row to lock, the
      // second insert failed, and node A's whole save with it (the other project's checkpoint too).
      // And node B's newer checkpoint, committed between node A's read and its delete, was deleted
      // there and replaced by node A's older one (one round in about sixty on PostgreSQL).
      const [a, b] = [store.relayCheckpoints('node-a'), store.relayCheckpoints('node-b')];
      const other: RelaySessionCheckpoint = { ...point('signalwire_other', 10_000, ['m9:sent']), projectId: Q };
      for (let i = 0; i < 150; i++) {
        const moved = `signalwire_racing${i}`;
        const saved = await Promise.allSettled([a.save([point(moved, 10_000, []), { ...other, protocol: `signalwire_other${i}` }], []), b.save([point(moved, 20_000, ['m1:sent'])], [])]);
        expect(saved.map((s) => (s.status === 'rejected' ? String(s.reason) : 'saved'))).toEqual(['saved', 'saved']);
        expect(await a.take(Q, `signalwire_other${i}`, 1_000)).toEqual({ ...other, protocol: `signalwire_other${i}` });
        expect((await b.take(P, moved, 1_000))?.had, `round ${i}`).toEqual(['m1:sent']);
      }
    }, 30_000);

    it('of a session live on another node are not forgotten by the node it left', async () => {
      // Node A parked the session, its client resumed on node B (which saved its checkpoint), and
      // node A forgets the session later (its stale entry crowded out, say): B's checkpoint stays.
      const [a, b] = [store.relayCheckpoints('node-a'), store.relayCheckpoints('node-b')];
      await a.save([point('signalwire_left', 10_000, [])], []);
      await b.save([point('signalwire_left', 20_000, ['m1:sent'])], []);
      await a.save([], ['signalwire_left']);
      expect((await b.take(P, 'signalwire_left', 1_000))?.had).toEqual(['m1:sent']);
    });

    it('of a session live on another node stay when the node it left crowds out its parked session', async () => {
      const now = Date.now();
      const budget = { take: () => true, give: () => undefined };
      const resumeA = store.relayResumeStore({ instanceId: 'node-a', maxEvents: 100, budget, eventCost: (p) => p.length, maxPerProject: 1 });
      const resumeB = store.relayResumeStore({ instanceId: 'node-b', maxEvents: 100, budget, eventCost: (p) => p.length });
      const parked = (protocol: string) => ({ protocol, projectId: P, tokenId: null, contexts: ['office'], eventAcks: true, parkedAt: now, expiresAt: now + 60_000, events: [] });
      await resumeA.park(parked('signalwire_crowd_1'));
      // Its client resumes on node B, whose live session saves a checkpoint.
      expect(await resumeB.claim(P, 'signalwire_crowd_1', now)).toBeDefined();
      await store.relayCheckpoints('node-b').save([point('signalwire_crowd_1', now + 60_000, ['m1:sent'])], []);
      // Node A parks another session of the project: the first (still listed there) is crowded out.
      await resumeA.park(parked('signalwire_crowd_2'));
      expect((await store.relayCheckpoints('node-b').take(P, 'signalwire_crowd_1', now))?.had).toEqual(['m1:sent']);
      await resumeA.clear(true);
      await resumeB.clear(true);
    });

    it('saved twice in one save (its park, then the session resumed here) keep the later one', async () => {
      // A client that drops and comes straight back within a housekeeping tick: the node saves the
      // checkpoint of its park and that of its live session together.
      const a = store.relayCheckpoints('node-a');
      await a.save([point('signalwire_back', 10_000, []), point('signalwire_back', 12_000, ['m1:sent'], ['office', 'sales'])], []);
      expect(await a.take(P, 'signalwire_back', 1_000)).toEqual(point('signalwire_back', 12_000, ['m1:sent'], ['office', 'sales']));
    });

    it('stay when a dead node\'s parked sessions are forgotten', async () => {
      const a = store.relayCheckpoints('node-dead');
      await a.save([point('signalwire_dead', Date.now() + 60_000, ['m1:delivered'])], []);
      const resume = store.relayResumeStore({ instanceId: 'node-adopting', maxEvents: 100, budget: { take: () => true, give: () => undefined }, eventCost: (p) => p.length });
      await resume.forgetInstance('node-dead');
      expect((await a.take(P, 'signalwire_dead', Date.now()))?.had).toEqual(['m1:delivered']);
    });
  });
}
