/**
 * The sender-rate cache against a rate change announced (numbers.changed) while this node was
 * reading the rates: the claim that read them may use them, but they are not kept as fresh. The
 * engine's in-memory SQLite store and manual clock; the test holds the store's answer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { MessageRecord } from '../../domain/message.js';
import type { PhoneNumberRepository } from '../../domain/ports/store.js';
import { DEFAULT_SENDER_RATES } from '../../domain/sender-rates.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';
import { SenderQueues } from './sender-queues.js';

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() })));
afterEach(() => t.close());

describe('SenderQueues rate cache', () => {
  it('does not keep as fresh the rates read before a change announced meanwhile', async () => {
    const bus = new InProcessBus();
    const queues = new SenderQueues({ clock: t.clock, bus }, { defaults: DEFAULT_SENDER_RATES, queueLimitSeconds: 3_600 });
    const m = { projectId: t.project.id, from: TEST_NUMBERS[0], origin: 'rest', tags: null } as unknown as MessageRecord;
    const [number] = await t.engine.reads.numbers.list(t.project.id, { numberContains: TEST_NUMBERS[0] }, { limit: 1 });
    let answer: (() => void) | undefined;
    const held = new Proxy(t.store.numbers, {
      get: (target, method) =>
        method === 'ratesOf'
          ? async (projectId: string, numbers: readonly string[]) => {
              const seen = await target.ratesOf(projectId, numbers);
              await new Promise<void>((resolve) => (answer = resolve));
              return seen;
            }
          : Reflect.get(target, method),
    }) as PhoneNumberRepository;
    const priming = queues.prime(held, [m]);
    await new Promise((resolve) => setImmediate(resolve));
    // The number gets a rate of 2/s; the change is announced while the read of "no rate" waits.
    await t.store.numbers.update(t.project.id, number!.id, { messagesPerSecond: 2 }, t.clock.now());
    bus.publish('numbers.changed', { projectId: t.project.id });
    answer!();
    await priming;
    // The next claim reads the rate again instead of sending without it for the cache's 10 s.
    expect(queues.knows(m)).toBe(false);
    await queues.prime(t.store.numbers, [m]);
    expect(queues.knows(m)).toBe(true);
    expect(queues.rateOf(m, 'smpp')).toBe(2);
  });
});
