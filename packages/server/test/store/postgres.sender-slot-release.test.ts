/**
 * Releasing a sender's held slots on PostgreSQL (a rate change, a released number, or a dispatcher
 * replanning a sender whose slots passed while nothing dispatched) skips the jobs another
 * transaction holds instead of waiting for them: a claim that leased one of them next locks the
 * sender's row, which the release deleted first, and the two would wait for each other.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { senderKey } from '../../src/engine/messages/sender-queues.js';
import { postgresStoreForFile, servicesOff } from '../helpers/postgres.js';
import { messageRow } from '../helpers/records.js';

const P1 = randomUUID();
const SENDER = '+15551230001';
const T0 = Date.UTC(2026, 0, 1);

describe.skipIf(servicesOff)('releasing held sender slots on PostgreSQL', () => {
  const suite = postgresStoreForFile({ beforeAll, afterAll }, 2, async (store) => {
    await store.projects.create({ id: P1, name: 'slots', signingKey: 'PSK_slots', createdAt: Date.now() });
  });

  it('skips a held job another transaction has claimed, rather than waiting for it', async () => {
    const { store } = suite;
    const rows = [0, 1, 2].map(() => messageRow(P1, { from: SENDER }));
    await store.messages.insertMany(rows);
    await store.jobs.enqueueMany(rows.map((m) => ({ kind: 'dispatch' as const, projectId: P1, messageId: m.id, runAt: T0 })));
    const jobs = await store.jobs.claim('dispatch', T0, 10, 600_000, 'planner');
    // Held for slots: the first already due (it passed), the others later.
    const slots = jobs.map((j, i) => ({ id: j.id, slotAt: T0 + i * 1000 }));
    await store.transaction(async (tx) => {
      await tx.jobs.takeSenderSlots([senderKey(P1, SENDER)], T0);
      await tx.jobs.putSenderSlots(new Map([[senderKey(P1, SENDER), T0 + 3000]]));
      await tx.jobs.holdSlots(slots);
    });
    let finishClaim!: () => void;
    const claimMayCommit = new Promise<void>((r) => (finishClaim = r));
    let claimedIds: number[] = [];
    const claimDone = new Promise<void>((claimed) => {
      void store.transaction(async (tx) => {
        claimedIds = (await tx.jobs.claim('dispatch', T0, 10, 600_000, 'claimer')).map((j) => j.id);
        claimed();
        // Keep its row lock until the release has answered.
        await claimMayCommit;
      });
    });
    await claimDone;
    expect(claimedIds).toEqual([slots[0]!.id]);
    const released = await store.transaction((tx) => tx.jobs.releaseSenderSlots(senderKey(P1, SENDER), P1, SENDER, T0 + 10));
    finishClaim();
    expect(released).toBe(2);
  });
});
