/**
 * The opt-out repository keeps each project's count of entries with every insert and delete, so
 * the API's limit (`projects.maxOptOuts`) is checked without counting a list that may hold a
 * million rows: adds with a limit refuse exactly past it, keywords are recorded past it and
 * counted, removals give room back, and concurrent adds do not overshoot. Through the port only,
 * on SQLite and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OptOutRecord, Store } from '../../src/domain/ports/store.js';
import { storeBackends } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 1);
const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';
const SENDER = '+15551230001';
const GROUP = '33333333-3333-4333-8333-333333333333';
const LIMIT = 3;

function entry(projectId: string, handset: string, sender = SENDER, keyword: string | null = null): OptOutRecord {
  return { id: randomUUID(), projectId, sender, handset, keyword, createdAt: T0 };
}

describe.each(storeBackends(afterAll))('opt-out counts on %s', (_name, open) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, close } = await open());
    for (const id of [P1, P2]) await store.projects.create({ id, name: id, signingKey: 'PSK_x', createdAt: T0 });
  });
  afterEach(async () => {
    await close();
  });

  const handsets = async (projectId: string) => (await store.optOuts.list(projectId, {}, { limit: 100 })).map((o) => `${o.sender} ${o.handset}`).sort();

  it('refuses an add past the limit, counts keywords recorded past it, and gives room back on removal', async () => {
    const { optOuts } = store;
    expect(await optOuts.add([entry(P1, '+15557000001'), entry(P1, '+15557000002')], LIMIT)).toBe(true);
    // Already listed: kept as it was, and not counted again.
    expect(await optOuts.add([entry(P1, '+15557000001')], LIMIT)).toBe(true);
    // A handset's STOP lists it with its number and the number's group, however full the lists are.
    await optOuts.add([entry(P1, '+15557000009', SENDER, 'STOP'), entry(P1, '+15557000009', GROUP, 'STOP')]);
    expect(await optOuts.add([entry(P1, '+15557000003')], LIMIT)).toBe(false);
    expect(await handsets(P1)).toEqual([`${SENDER} +15557000001`, `${SENDER} +15557000002`, `${SENDER} +15557000009`, `${GROUP} +15557000009`]);
    // An entry already listed is no new entry: still fine at the limit.
    expect(await optOuts.add([entry(P1, '+15557000002')], LIMIT)).toBe(true);
    // Another project's lists count apart.
    expect(await optOuts.add([entry(P2, '+15557000003')], LIMIT)).toBe(true);

    // START takes both entries of the handset off: 2 left, room for one.
    expect(await optOuts.remove(P1, '+15557000009', [SENDER, GROUP])).toBe(2);
    expect(await optOuts.remove(P1, '+15557000009', [SENDER])).toBe(0);
    // Refused whole: an add of several that would pass the limit adds none of them.
    expect(await optOuts.add([entry(P1, '+15557000003'), entry(P1, '+15557000004')], LIMIT)).toBe(false);
    expect(await optOuts.add([entry(P1, '+15557000003')], LIMIT)).toBe(true);
    expect(await optOuts.add([entry(P1, '+15557000004')], LIMIT)).toBe(false);
    expect(await handsets(P1)).toEqual([`${SENDER} +15557000001`, `${SENDER} +15557000002`, `${SENDER} +15557000003`]);
  });

  it(`keeps ${LIMIT} of 8 concurrent adds`, async () => {
    const added = await Promise.all(Array.from({ length: 8 }, (_, i) => store.optOuts.add([entry(P1, `+1555700010${i}`)], LIMIT)));
    expect(added.filter(Boolean)).toHaveLength(LIMIT);
    expect(await handsets(P1)).toHaveLength(LIMIT);
    // What was refused left no count behind: one removal makes room for exactly one.
    const [first] = await store.optOuts.list(P1, {}, { limit: 1 });
    expect(await store.optOuts.remove(P1, first!.handset, [SENDER])).toBe(1);
    expect(await Promise.all([store.optOuts.add([entry(P1, '+15557000200')], LIMIT), store.optOuts.add([entry(P1, '+15557000201')], LIMIT)])).toEqual(expect.arrayContaining([true, false]));
  });
});
