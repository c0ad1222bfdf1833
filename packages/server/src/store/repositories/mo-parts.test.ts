import { afterEach, describe, expect, it } from 'vitest';
import type { MoPartRecord } from '../../domain/ports/store.js';
import { openSqliteStore } from '../dialects/sqlite.js';
import type { KyselyStore } from '../kysely-store.js';

let store: KyselyStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const part = (reference: number, seq: number, firstAt = 1_000): MoPartRecord => ({ carrier: 'smsc', from: '+15557654321', to: '+15551230001', reference, total: 3, firstAt, seq, text: `part ${seq}`, receivedAt: firstAt + seq });

describe('mo_parts', () => {
  // The deletes of many messages' parts go as a few statements of ORed keys: only the named messages go, and
  // more than a statement's worth (100) still deletes them all.
  it('deletes the parts of exactly the groups named, however many', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    const refs = Array.from({ length: 250 }, (_, i) => i);
    await store.moParts.insertMany(refs.flatMap((r) => [part(r, 1), part(r, 2)]));
    // The same reference at another first time is another message: kept.
    await store.moParts.insertMany([part(7, 1, 5_000)]);
    const dropped = refs.filter((r) => r !== 3);
    await store.moParts.deleteGroups(dropped.map((reference) => ({ carrier: 'smsc', from: '+15557654321', to: '+15551230001', reference, total: 3, firstAt: 1_000 })));
    const left = await store.moParts.listForCarrier('smsc');
    expect(left.map((p) => [p.reference, p.seq, p.firstAt])).toEqual([
      [3, 1, 1_000],
      [3, 2, 1_000],
      [7, 1, 5_000],
    ]);
  });
});
