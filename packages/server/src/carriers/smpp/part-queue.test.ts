/**
 * The part queue's messages in doubt (given back to the dispatcher with parts in a window): the
 * once-a-second sweep forgets those whose validity ran out, and costs what ran out, not all it holds.
 */
import { describe, expect, it } from 'vitest';
import type { CarrierSubmission } from '../../domain/ports/carrier.js';
import type { Store } from '../../domain/ports/store.js';
import { parseSmppSection } from './config.js';
import { newCounters, type SmppContext } from './context.js';
import { PartQueue, type PartJob } from './part-queue.js';
import type { SmppSession } from './session.js';

const HELD = 2_000;

describe('PartQueue: messages in doubt', () => {
  it('forgets each when its validity runs out, reading only those due at each sweep', async () => {
    const config = parseSmppSection({ connectors: [{ id: 'doubt', host: '127.0.0.1', port: 1, systemId: 'sw', password: 'pw', throughput: 0 }], routes: [] }).connectors[0]!;
    let now = 1_000_000;
    const ctx: SmppContext = { config, deps: { store: {} as Store, logger: { info() {}, warn() {}, error() {} }, now: () => now }, counters: newCounters(), sink: () => undefined };
    const sent: PartJob[] = [];
    // A bind with room for everything, that never answers.
    const session = { submit: (_fields: unknown, part: PartJob) => void sent.push(part) } as unknown as SmppSession<PartJob>;
    const queue = new PartQueue(ctx, { sessionWithRoom: () => session, accepted() {} });

    // Each message's validity, counting how often it is read.
    let reads = 0;
    const submission = (n: number): CarrierSubmission => {
      const expiresAt = now + 60_000 + n * 1000;
      return {
        messageId: `m-${n}`, projectId: 'p', from: '+15550000001', to: '+15559990001', body: 'hi', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, attempt: 1,
        get expiresAt() {
          reads++;
          return expiresAt;
        },
      };
    };
    const given = Array.from({ length: HELD }, (_, n) => queue.enqueue(submission(n)));
    queue.pump();
    expect(sent).toHaveLength(HELD);
    expect(queue.giveBackAll('stalled')).toBe(HELD);
    expect((await Promise.all(given)).every((r) => r.outcome === 'transient')).toBe(true);

    reads = 0;
    for (let s = 0; s < 10; s++) queue.tick();
    expect(reads).toBe(0);

    // The first ten run out: the sweep reads those and no others.
    now += 60_000 + 9 * 1000;
    queue.tick();
    expect(reads).toBeLessThanOrEqual(10);

    // A retry of one that ran out is sent again; one still in doubt takes over its parts.
    const adoptedBefore = ctx.counters.adopted;
    void queue.enqueue(submission(0));
    expect(ctx.counters.adopted).toBe(adoptedBefore);
    void queue.enqueue(submission(10));
    expect(ctx.counters.adopted).toBe(adoptedBefore + 1);
  });
});
