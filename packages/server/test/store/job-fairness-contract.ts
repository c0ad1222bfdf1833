/**
 * Fair job claims, through the Store port on each dialect: when several projects have due jobs, a
 * claim gives each at most an equal share (filling the rest from whoever has more), keeps the
 * earliest-due order within a project, honours carrier pins, and rotates through more projects
 * than one claim serves (`after`).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewJob } from '../../src/domain/jobs.js';
import type { Store } from '../../src/domain/ports/store.js';

const T0 = Date.UTC(2026, 0, 1);
const A = 'aaaaaaaa-0000-4000-8000-000000000000';
const B = 'bbbbbbbb-0000-4000-8000-000000000000';
const C = 'cccccccc-0000-4000-8000-000000000000';

const job = (projectId: string, runAt = T0, carrier?: string): NewJob => ({ kind: 'dispatch', projectId, messageId: randomUUID(), runAt, ...(carrier ? { carrier } : {}) });
const byProject = (jobs: ReadonlyArray<{ projectId: string }>) => {
  const out: Record<string, number> = {};
  for (const j of jobs) out[j.projectId] = (out[j.projectId] ?? 0) + 1;
  return out;
};

export function describeJobFairness(name: string, open: () => Promise<{ store: Store; close(): Promise<void> }>): void {
  describe(`fair job claims (${name})`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeEach(async () => ({ store, close } = await open()));
    afterEach(() => close());

    it('gives a project with one due job its job in the first claim, whatever another’s backlog ahead of it', async () => {
      const backlog = Array.from({ length: 500 }, (_, i) => job(A, T0 - 1000 + i));
      await store.jobs.enqueueMany(backlog);
      const late = job(B, T0);
      await store.jobs.enqueueMany([late]);
      const claimed = await store.jobs.claim('dispatch', T0, 10, 1000, 'n');
      expect(claimed).toHaveLength(10);
      expect(byProject(claimed)).toEqual({ [A]: 9, [B]: 1 });
      // A's share is its earliest due.
      expect(claimed.filter((j) => j.projectId === A).map((j) => j.messageId)).toEqual(backlog.slice(0, 9).map((j) => j.messageId));
    });

    it('shares a claim equally between projects with backlogs, and fills it when one has less', async () => {
      await store.jobs.enqueueMany([...Array.from({ length: 30 }, () => job(A)), ...Array.from({ length: 30 }, () => job(B)), ...Array.from({ length: 2 }, () => job(C))]);
      // A share of 4 each; C has 2, and the 2 left go to the earliest due of the others (A's).
      expect(byProject(await store.jobs.claim('dispatch', T0, 12, 1000, 'n'))).toEqual({ [A]: 6, [B]: 4, [C]: 2 });
      expect(byProject(await store.jobs.claim('dispatch', T0, 12, 1000, 'n'))).toEqual({ [A]: 6, [B]: 6 });
      // Not due yet, or leased: not a project with due work.
      await store.jobs.enqueueMany([job(C, T0 + 5000)]);
      expect(byProject(await store.jobs.claim('dispatch', T0, 100, 1000, 'n'))).toEqual({ [A]: 18, [B]: 20 });
      expect(await store.jobs.claim('dispatch', T0, 100, 1000, 'n')).toEqual([]);
    });

    it('takes only jobs the claimer’s carriers may send, in every share', async () => {
      await store.jobs.enqueueMany([job(A, T0, 'mine'), job(A, T0, 'theirs'), job(B, T0, 'theirs'), job(B, T0), job(C, T0, 'theirs')]);
      const claimed = await store.jobs.claim('dispatch', T0, 10, 1000, 'n', { carriers: ['mine'] });
      expect(claimed.map((j) => [j.projectId, j.carrier])).toEqual([
        [A, 'mine'],
        [B, null],
      ]);
    });

    it('starts after `after` and wraps, so more projects than a claim serves all get their turn', async () => {
      const projects = Array.from({ length: 80 }, (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
      await store.jobs.enqueueMany(projects.flatMap((p) => [job(p), job(p)]));
      const first = await store.jobs.claim('dispatch', T0, 64, 1000, 'n');
      expect(byProject(first)).toEqual(Object.fromEntries(projects.slice(0, 64).map((p) => [p, 1])));
      const next = await store.jobs.claim('dispatch', T0, 64, 1000, 'n', { after: projects[63]! });
      // A share of one each: the 16 after the cursor first, then the first 48 again from the start.
      expect(Object.keys(byProject(next)).sort()).toEqual([...projects.slice(0, 48), ...projects.slice(64)]);
      expect(next).toHaveLength(64);
    });
  });
}
