/**
 * Catch-up reads are made per project, together: after a restart every client comes back at once,
 * and one read of the stored events per connect would be as many reads of up to 100,000 rows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageStatus } from '@switchboard/protocol';
import type { NewMessageEvent } from '../domain/message.js';
import type { RecentEventsBounds } from '../domain/ports/store.js';
import { openSqliteStore } from '../store/dialects/sqlite.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { messageRow } from '../../test/helpers/records.js';
import { CatchUpReader } from './catch-up.js';

const P = '11111111-1111-4111-8111-111111111111';
const T0 = Date.UTC(2026, 0, 1);
let store: KyselyStore;

beforeEach(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  await store.projects.create({ id: P, name: 'P', signingKey: 'PSK_test', createdAt: T0 });
});
afterEach(async () => {
  await store.close();
});

describe('CatchUpReader', () => {
  it('makes the reads of one project asked together in one, and gives each its own rows', async () => {
    const [a, b, none] = await store.messages.insertMany([messageRow(P, { context: 'a', createdAt: T0 }), messageRow(P, { context: 'b', createdAt: T0 }), messageRow(P, { context: null, createdAt: T0 })]);
    const ev = (id: string, status: MessageStatus, at: number): NewMessageEvent => ({ messageId: id, projectId: P, status, at, errorCode: null, errorMessage: null, detail: null });
    await store.events.insertMany([ev(a!.id, 'queued', T0), ev(b!.id, 'queued', T0 + 1), ev(none!.id, 'queued', T0 + 2), ev(a!.id, 'sent', T0 + 3), ev(b!.id, 'sent', T0 + 4)]);
    const asked: Array<{ contexts: readonly string[]; since: number }> = [];
    const reader = new CatchUpReader({
      listRecentForContexts: (projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds) => {
        asked.push({ contexts, since: bounds.since });
        return store.events.listRecentForContexts(projectId, contexts, senders, bounds);
      },
    });
    const seen = (rows: Awaited<ReturnType<CatchUpReader['read']>>) => rows.map((r) => `${r.message.context ?? 'null'}:${r.event.status}`);
    const [onlyA, bSince, defaults, lastA] = await Promise.all([reader.read(P, ['a'], [], T0, 10), reader.read(P, ['b'], [], T0 + 2, 10), reader.read(P, ['default'], [], T0, 10), reader.read(P, ['a'], [], T0, 1)]);
    expect(asked).toHaveLength(1);
    expect(new Set(asked[0]!.contexts)).toEqual(new Set(['a', 'b', 'default']));
    expect(asked[0]!.since).toBe(T0);
    expect(seen(onlyA)).toEqual(['a:queued', 'a:sent']);
    expect(seen(bSince)).toEqual(['b:sent']);
    expect(seen(defaults)).toEqual(['null:queued']);
    expect(seen(lastA)).toEqual(['a:sent']);
    // Later, on its own.
    expect(seen(await reader.read(P, ['b'], [], T0, 10))).toEqual(['b:queued', 'b:sent']);
    expect(asked).toHaveLength(2);
  });
});
