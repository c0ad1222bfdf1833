/**
 * A node's checkpoints of its RELAY sessions (checkpoints.ts), written to a SQLite database: a
 * session is saved when its client acknowledged something or its contexts changed, not otherwise
 * (no write per tick for idle sessions), and forgotten when it ends; a connect meanwhile does not
 * resume from the checkpoint of a session that ended here.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noopRelayMetrics } from '../domain/ports/metrics.js';
import { eventKey } from '../domain/relay-event-keys.js';
import { openSqliteStore } from '../store/dialects/sqlite.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { BufferBudget } from './buffer-budget.js';
import { SessionCheckpoints } from './checkpoints.js';
import { RelaySession } from './session.js';
import { SessionRegistry } from './session-registry.js';

const P = '11111111-1111-4111-8111-111111111111';
let store: KyselyStore;
beforeEach(async () => {
  store = (await openSqliteStore({ file: ':memory:' })) as KyselyStore;
});
afterEach(async () => {
  await store.close();
});

async function stored(protocol: string): Promise<{ contexts: string; expires_at: number; had: string } | undefined> {
  return store.db
    .selectFrom('relay_parked_sessions as s')
    .innerJoin('relay_parked_events as e', 'e.protocol', 's.protocol')
    .select(['s.contexts', 's.expires_at', 'e.params as had'])
    .where('s.protocol', '=', `checkpoint:${protocol}`)
    .executeTakeFirst() as Promise<{ contexts: string; expires_at: number; had: string } | undefined>;
}

describe('checkpoints of a node\'s sessions', () => {
  it('are written when acknowledgements or contexts change, not for idle sessions, and forgotten when a session ends', async () => {
    let now = 1_000_000;
    const registry = new SessionRegistry();
    const session = new RelaySession('signalwire_cp', 'sig', 'sid', P, new Set(['messaging']), true, 3, { maxEvents: 100, budget: new BufferBudget(1 << 20), metrics: noopRelayMetrics, now: () => now });
    const frames: string[] = [];
    session.attach({ send: (f) => frames.push(f), slow: () => undefined, close: () => undefined });
    session.keepHad();
    registry.add(session);
    registry.subscribe(session, ['office']);
    session.open();
    const checkpoints = new SessionCheckpoints(store.relayCheckpoints('node-a'), { resumeWindowMs: 120_000, catchUpWindowMs: 120_000, now: () => now, messageNow: () => now, onError: (err) => { throw err; }, onSaved: () => undefined });
    const save = async () => {
      checkpoints.save([{ session, tokenId: null }]);
      await checkpoints.idle();
    };

    await save();
    expect(await stored('signalwire_cp')).toMatchObject({ contexts: '["office"]', expires_at: 1_120_000, had: '[]' });
    // Nothing changed: not written again.
    now += 1_000;
    await save();
    expect((await stored('signalwire_cp'))?.expires_at).toBe(1_120_000);

    const params = JSON.stringify({ event_type: 'messaging.state', params: { message_id: 'm1', message_state: 'delivered' } });
    session.deliver(eventKey('m1', 'delivered'), now, params, 'messaging.state');
    await save();
    // Written, not yet acknowledged: the checkpoint is unchanged.
    expect((await stored('signalwire_cp'))?.expires_at).toBe(1_120_000);
    session.ack(JSON.parse(frames[0]!).id as string);
    await save();
    expect(await stored('signalwire_cp')).toMatchObject({ expires_at: 1_121_000, had: '["m1:delivered"]' });

    now += 1_000;
    registry.subscribe(session, ['sales']);
    await save();
    expect(await stored('signalwire_cp')).toMatchObject({ contexts: '["office","sales"]', expires_at: 1_122_000 });

    // Half a resume window later, its expiry is renewed.
    now += 60_000;
    await save();
    expect((await stored('signalwire_cp'))?.expires_at).toBe(1_182_000);

    // It ends: no resume from the checkpoint meanwhile, and it goes at the next save.
    checkpoints.end('signalwire_cp');
    expect(await checkpoints.take(P, 'signalwire_cp', now)).toBeUndefined();
    checkpoints.save([]);
    await checkpoints.idle();
    expect(await stored('signalwire_cp')).toBeUndefined();
  });

  it('save a session that parked and resumed here within one tick (its park and its live session) without failing', async () => {
    const now = 1_000_000;
    const registry = new SessionRegistry();
    const session = new RelaySession('signalwire_back', 'sig', 'sid', P, new Set(['messaging']), true, 3, { maxEvents: 100, budget: new BufferBudget(1 << 20), metrics: noopRelayMetrics, now: () => now });
    session.attach({ send: () => undefined, slow: () => undefined, close: () => undefined });
    session.keepHad();
    registry.add(session);
    registry.subscribe(session, ['office']);
    session.open();
    const failures: unknown[] = [];
    const checkpoints = new SessionCheckpoints(store.relayCheckpoints('node-a'), { resumeWindowMs: 120_000, catchUpWindowMs: 120_000, now: () => now, messageNow: () => now, onError: (err) => failures.push(err), onSaved: () => undefined });
    // Its connection dropped (the park's checkpoint taken), and the client came straight back.
    checkpoints.park(checkpoints.of({ session, tokenId: null }));
    registry.subscribe(session, ['sales']);
    checkpoints.save([{ session, tokenId: null }]);
    await checkpoints.idle();
    expect(failures).toEqual([]);
    expect(await stored('signalwire_back')).toMatchObject({ contexts: '["office","sales"]' });
  });
});
