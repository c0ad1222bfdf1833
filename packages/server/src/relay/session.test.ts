/**
 * A session adopted again (its node restarted or went away) is replayed what it missed, from the
 * start's events and the stored ones: of each message its last state there, and nothing of a
 * message whose states it already gets live. Its first replayed state used to hide the later ones
 * of the same message: a message delivered while the client was away came back as `queued`.
 */
import { describe, expect, it } from 'vitest';
import { noopRelayMetrics } from '../domain/ports/metrics.js';
import { eventKey } from '../domain/relay-event-keys.js';
import { BufferBudget } from './buffer-budget.js';
import { RelaySession } from './session.js';

const P = '11111111-1111-4111-8111-111111111111';

function adopted() {
  const budget = new BufferBudget(1 << 20);
  const session = new RelaySession('proto', 'sig', 'sid', P, new Set(['messaging']), true, 3, { maxEvents: 100, budget, metrics: noopRelayMetrics, now: () => Date.now() });
  const frames: string[] = [];
  session.attach({ send: (f) => frames.push(f), slow: () => undefined, close: () => undefined });
  session.trackStartupKeys(Date.now() + 60_000);
  const states = () => frames.map((f) => JSON.parse(f).params.params).map((p: { message_id: string; message_state: string }) => `${p.message_id}:${p.message_state}`);
  return { session, budget, states };
}

function event(messageId: string, state: 'queued' | 'initiated' | 'sent' | 'delivered') {
  const params = JSON.stringify({ event_type: 'messaging.state', context: 'office', timestamp: 1, project_id: P, space_id: P, params: { message_id: messageId, message_state: state } });
  return { id: `${messageId}-${state}`, key: eventKey(messageId, state), at: 1, params };
}

describe('a session adopted again, replayed what it missed', () => {
  it('gets each message\'s last state of the replay, not the first', () => {
    const { session, states } = adopted();
    session.open([event('m1', 'queued'), event('m1', 'initiated'), event('m2', 'sent'), event('m1', 'sent'), event('m1', 'delivered')]);
    expect(states()).toEqual(['m2:sent', 'm1:delivered']);
  });

  it('gets nothing of a message it already has live, nor of one an earlier replay gave it', () => {
    const { session, states } = adopted();
    session.open([event('m1', 'sent')]);
    session.deliver(eventKey('m2', 'queued'), 1, event('m2', 'queued').params, 'messaging.state', 'm2');
    session.replay([event('m1', 'delivered'), event('m2', 'sent'), event('m3', 'queued'), event('m3', 'delivered')]);
    expect(states()).toEqual(['m1:sent', 'm2:queued', 'm3:delivered']);
  });
});
