/**
 * Fair webhook claims, through the Store port on each dialect: when several projects have due
 * deliveries, a claim gives each at most an equal share (filling the rest by due order), whatever
 * number of destinations a project's backlog is spread over; within a share it keeps due order,
 * takes only each message's head and honours every destination's room; more projects than one
 * claim serves take turns (`after`); projects named busy are left out; concurrent claims never
 * hand one delivery out twice.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/domain/ports/store.js';
import { destinationOf, type NewWebhookDelivery } from '../../src/domain/webhooks.js';
import { deliveryRow } from '../helpers/records.js';

const T0 = Date.UTC(2026, 0, 1);
const A = 'aaaaaaaa-0000-4000-8000-000000000000';
const B = 'bbbbbbbb-0000-4000-8000-000000000000';
const C = 'cccccccc-0000-4000-8000-000000000000';

const delivery = (projectId: string, url: string, nextAttemptAt = T0, messageId: string = randomUUID()): NewWebhookDelivery => deliveryRow(projectId, { url, nextAttemptAt, messageId });
const byProject = (rows: ReadonlyArray<{ projectId: string }>) => {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.projectId] = (out[r.projectId] ?? 0) + 1;
  return out;
};
/** Room enough for anything: claims as the runner makes them, with per-destination limits. */
const roomy = { perDestination: 1000, room: {} };

export function describeWebhookFairness(name: string, open: () => Promise<{ store: Store; close(): Promise<void> }>): void {
  describe(`fair webhook claims (${name})`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeEach(async () => ({ store, close } = await open()));
    afterEach(() => close());

    it('gives a project with one due callback its callback in the first claim, whatever another’s backlog over many hosts ahead of it', async () => {
      const backlog = Array.from({ length: 500 }, (_, i) => delivery(A, `https://a${i}.test/cb`, T0 - 1000 + i));
      await store.webhooks.enqueueMany(backlog);
      await store.webhooks.enqueueMany([delivery(B, 'https://b.test/cb')]);
      const claimed = await store.webhooks.claimDue(T0, 10, 1000, 'n', { perDestination: 1, room: {} });
      expect(byProject(claimed)).toEqual({ [A]: 9, [B]: 1 });
      // A's share is its earliest due.
      expect(claimed.filter((d) => d.projectId === A).map((d) => d.url)).toEqual(backlog.slice(0, 9).map((d) => d.url));
    });

    it('leaves the busy projects out of a claim, with several projects due and with one', async () => {
      await store.webhooks.enqueueMany([
        ...Array.from({ length: 50 }, (_, i) => delivery(A, `https://a${i}.test/cb`, T0 - 100)),
        ...Array.from({ length: 3 }, () => delivery(B, 'https://b.test/cb')),
        delivery(C, 'https://c.test/cb'),
      ]);
      expect(byProject(await store.webhooks.claimDue(T0, 10, 1000, 'n', { ...roomy, busyProjects: [A] }))).toEqual({ [B]: 3, [C]: 1 });
      await store.webhooks.enqueueMany([delivery(B, 'https://b.test/cb')]);
      for (const shareByProject of [true, false]) expect(await store.webhooks.claimDue(T0, 10, 1000, 'n', { ...roomy, shareByProject, busyProjects: [A, B] })).toEqual([]);
      expect(byProject(await store.webhooks.claimDue(T0, 10, 1000, 'n', { ...roomy, shareByProject: false, busyProjects: [A] }))).toEqual({ [B]: 1 });
    });

    it('skips busy projects in the scan for due projects, so more of them than a claim serves do not hide a healthy one', async () => {
      // Busy projects sort first and outnumber the claim; the healthy one comes after all of them.
      const busy = Array.from({ length: 6 }, (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
      await store.webhooks.enqueueMany(busy.flatMap((p) => Array.from({ length: 5 }, (_, i) => delivery(p, `https://busy${i}.test/cb`, T0 - 100))));
      await store.webhooks.enqueueMany([delivery(C, 'https://c.test/cb'), delivery(C, 'https://c.test/cb')]);
      expect(byProject(await store.webhooks.claimDue(T0, 3, 1000, 'n', { ...roomy, busyProjects: busy }))).toEqual({ [C]: 2 });
      // The same after the round-robin cursor wrapped (the busy projects come first again).
      await store.webhooks.enqueueMany([delivery(C, 'https://c.test/cb')]);
      expect(byProject(await store.webhooks.claimDue(T0, 3, 1000, 'n', { ...roomy, after: C, busyProjects: busy }))).toEqual({ [C]: 1 });
      // Nothing but busy projects due: an empty claim.
      expect(await store.webhooks.claimDue(T0, 3, 1000, 'n', { ...roomy, busyProjects: busy })).toEqual([]);
    });

    it('shares a claim equally between projects with backlogs, and fills it by due order when one has less', async () => {
      await store.webhooks.enqueueMany([
        ...Array.from({ length: 30 }, (_, i) => delivery(A, `https://a${i % 7}.test/cb`, T0 - 100)),
        ...Array.from({ length: 30 }, () => delivery(B, 'https://b.test/cb', T0 - 50)),
        ...Array.from({ length: 2 }, () => delivery(C, 'https://c.test/cb')),
      ]);
      // A share of 4 each; C has 2, and the 2 left go to the earliest due of the others (A's).
      expect(byProject(await store.webhooks.claimDue(T0, 12, 1000, 'n', roomy))).toEqual({ [A]: 6, [B]: 4, [C]: 2 });
      expect(byProject(await store.webhooks.claimDue(T0, 12, 1000, 'n', roomy))).toEqual({ [A]: 6, [B]: 6 });
      // Not due yet, or leased: not a project with due work. Without limits too.
      await store.webhooks.enqueueMany([delivery(C, 'https://c.test/cb', T0 + 5000)]);
      expect(byProject(await store.webhooks.claimDue(T0, 100, 1000, 'n'))).toEqual({ [A]: 18, [B]: 20 });
      expect(await store.webhooks.claimDue(T0, 100, 1000, 'n')).toEqual([]);
    });

    it('claims only each message’s head in a share, in the message’s order', async () => {
      const m = randomUUID();
      await store.webhooks.enqueueMany([delivery(A, 'https://a.test/1', T0, m), delivery(A, 'https://a.test/2', T0, m), delivery(A, 'https://a.test/3', T0, m), delivery(B, 'https://b.test/cb')]);
      const first = await store.webhooks.claimDue(T0, 10, 1000, 'n', roomy);
      expect(first.map((d) => d.url).sort()).toEqual(['https://a.test/1', 'https://b.test/cb']);
      const handedOn = await store.webhooks.settleMany(
        first.map((d) => ({ id: d.id, status: 'delivered' as const, attempts: 1, nextAttemptAt: T0, lastStatusCode: 200, lastError: null, at: T0 })),
        { owner: 'n', now: T0, leaseMs: 1000 },
      );
      expect(handedOn.map((d) => d.url)).toEqual(['https://a.test/2']);
      expect(await store.webhooks.claimDue(T0, 10, 1000, 'n', roomy)).toEqual([]);
    });

    it('keeps every destination within its room in the shares, and looks past full ones', async () => {
      const aFull = destinationOf(A, 'https://full.test/cb');
      await store.webhooks.enqueueMany([
        ...Array.from({ length: 10 }, () => delivery(A, 'https://full.test/cb', T0 - 100)),
        ...Array.from({ length: 10 }, () => delivery(A, 'https://slow.test/cb', T0 - 50)),
        ...Array.from({ length: 5 }, () => delivery(A, 'https://other.test/cb')),
        ...Array.from({ length: 10 }, () => delivery(B, 'https://b.test/cb')),
      ]);
      const claimed = await store.webhooks.claimDue(T0, 12, 1000, 'n', { perDestination: 2, room: { [aFull]: 0 } });
      const perUrl: Record<string, number> = {};
      for (const d of claimed) perUrl[d.url] = (perUrl[d.url] ?? 0) + 1;
      expect(perUrl).toEqual({ 'https://slow.test/cb': 2, 'https://other.test/cb': 2, 'https://b.test/cb': 2 });
      expect(claimed.every((d) => d.destination !== aFull)).toBe(true);
    });

    it('starts after `after` and wraps, so more projects than a claim serves all get their turn', async () => {
      const projects = Array.from({ length: 80 }, (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
      await store.webhooks.enqueueMany(projects.flatMap((p) => [delivery(p, 'https://x.test/cb'), delivery(p, 'https://y.test/cb')]));
      const first = await store.webhooks.claimDue(T0, 64, 1000, 'n', roomy);
      expect(byProject(first)).toEqual(Object.fromEntries(projects.slice(0, 64).map((p) => [p, 1])));
      const next = await store.webhooks.claimDue(T0, 64, 1000, 'n', { ...roomy, after: projects[63]! });
      // A share of one each: the 16 after the cursor first, then the first 48 again from the start.
      expect(Object.keys(byProject(next)).sort()).toEqual([...projects.slice(0, 48), ...projects.slice(64)]);
      expect(next).toHaveLength(64);
    });

    it('never hands one delivery to two of several concurrent claims', async () => {
      const projects = [A, B, C];
      await store.webhooks.enqueueMany(projects.flatMap((p) => Array.from({ length: 60 }, (_, i) => delivery(p, `https://h${i % 13}.test/cb`))));
      const claims = await Promise.all(Array.from({ length: 4 }, (_, i) => store.webhooks.claimDue(T0, 40, 1000, `w${i}`, roomy)));
      const ids = claims.flat().map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      const rest = await store.webhooks.claimDue(T0, 1000, 1000, 'last', roomy);
      expect(ids.length + rest.length).toBe(180);
      expect(rest.filter((d) => ids.includes(d.id))).toEqual([]);
    });
  });
}
