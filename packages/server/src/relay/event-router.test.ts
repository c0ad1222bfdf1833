/**
 * The router may hear a state twice: from the bus, and read back from storage after a node died
 * (lost-events.ts) while the bus still carried it. Each state reaches a session once, and never
 * after a later state of its message (a read-back state must not undo a newer one).
 */
import type { MessageStatus } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../bus/in-process-bus.js';
import type { MessageRecord } from '../domain/message.js';
import type { MessageStatusEvent } from '../domain/ports/bus.js';
import { noopRelayMetrics } from '../domain/ports/metrics.js';
import { messageRow } from '../../test/helpers/records.js';
import { BufferBudget } from './buffer-budget.js';
import { RelayEventRouter } from './event-router.js';
import { InMemoryResumeStore } from './in-memory-resume-store.js';
import { SessionRegistry } from './session-registry.js';
import { RelaySession } from './session.js';

const P = '11111111-1111-4111-8111-111111111111';

function setup() {
  const bus = new InProcessBus();
  const registry = new SessionRegistry();
  const budget = new BufferBudget(1 << 20);
  const router = new RelayEventRouter(bus, registry, new InMemoryResumeStore({ maxEvents: 100, budget }), (err) => {
    throw err;
  });
  const session = new RelaySession('proto', 'sig', 'sid', P, new Set(['messaging']), false, 3, { maxEvents: 100, budget, metrics: noopRelayMetrics, now: () => Date.now() });
  const frames: string[] = [];
  session.attach({ send: (f) => frames.push(f), slow: () => undefined, close: () => undefined });
  session.open();
  registry.add(session);
  registry.subscribe(session, ['office']);
  const message = { ...messageRow(P, { context: 'office' }), seq: 1 } as MessageRecord;
  const event = (status: MessageStatus): MessageStatusEvent => ({
    projectId: P,
    message: { ...message, status },
    status,
    at: Date.now(),
    event: { messageId: message.id, projectId: P, status, at: Date.now(), errorCode: null, errorMessage: null, detail: null },
  });
  const states = () => frames.map((f) => JSON.parse(f).params.params.message_state as string);
  const turn = () => new Promise((r) => setImmediate(r));
  return { bus, router, event, states, turn };
}

describe('RelayEventRouter', () => {
  it('routes a state heard twice once, and no state after a later one of its message', async () => {
    const { bus, router, event, states, turn } = setup();
    bus.publish('message.status', event('queued'));
    await turn();
    router.inject([event('queued'), event('sent')]);
    await turn();
    bus.publish('message.status', event('sent'));
    bus.publish('message.status', event('delivered'));
    await turn();
    expect(router.hasRouted(`${event('sent').message.id}:sent`)).toBe(true);
    router.inject([event('initiated')]);
    await turn();
    expect(states()).toEqual(['queued', 'sent', 'delivered']);
  });
});
