/**
 * One project's burst must not push another project's events out of a RELAY catch-up
 * (relay/catch-up.ts). The catch-up read once looked through the store's newest 100,000 events of
 * every project: a project writing more than that within a quiet project's catch-up window (about
 * 833 events a second over the default two minutes) left the quiet project's resumed session
 * without the states it missed, and nothing told it so. The read now walks the event ids down to
 * the start of the catch-up window, in parts, whoever wrote them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import type { NewMessageEvent } from '../../src/domain/message.js';
import { CatchUpReader } from '../../src/relay/catch-up.js';
import { messageRow } from '../helpers/records.js';
import { storeBackends } from '../helpers/postgres.js';

const QUIET = '11111111-1111-4111-8111-111111111111';
const BUSY = '22222222-2222-4222-8222-222222222222';
const T0 = Date.UTC(2026, 0, 1);
/** More events than the old read looked through, all of the busy project, after the quiet one's. */
const BURST = 100_500;

describe.each(storeBackends(afterAll))('a RELAY catch-up on %s', (_name, open) => {
  it("finds a quiet project's missed state behind another project's burst of events", async () => {
    const { store, close } = await open();
    try {
      for (const id of [QUIET, BUSY]) await store.projects.create({ id, name: id.slice(0, 4), signingKey: `PSK_${id.slice(0, 4)}`, createdAt: T0 });
      const [quiet] = await store.messages.insertMany([messageRow(QUIET, { context: 'office', createdAt: T0 })]);
      const ev = (messageId: string, projectId: string, status: NewMessageEvent['status'], at: number): NewMessageEvent => ({ messageId, projectId, status, at, errorCode: null, errorMessage: null, detail: null });
      // The quiet project's message is delivered while its session is away ...
      await store.events.insertMany([ev(quiet!.id, QUIET, 'delivered', T0 + 1_000)]);
      // ... and within the next minute the busy project writes more than 100,000 events.
      const busy = randomUUID();
      for (let i = 0; i < BURST; i += 10_000) {
        await store.events.insertMany(Array.from({ length: Math.min(10_000, BURST - i) }, (_, j) => ev(busy, BUSY, 'sent', T0 + 1_000 + Math.floor(((i + j) * 60_000) / BURST))));
      }
      const reader = new CatchUpReader(store.events, new ManualClock(T0 + 120_000));
      // The session resumes with a two-minute window: the delivery is within it.
      const rows = await reader.read(QUIET, ['office'], [], T0, 10);
      expect(rows.map((r) => `${r.message.id === quiet!.id ? 'quiet' : 'other'}:${r.event.status}`)).toEqual(['quiet:delivered']);
      // Outside the window it is not read (where the walk ends: sqlite/postgres.catch-up-reads.test.ts).
      expect(await reader.read(QUIET, ['office'], [], T0 + 2_000, 10)).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);
});
