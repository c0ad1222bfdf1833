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
  session.adopted = true;
  session.trackKeys(Date.now() + 60_000);
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

function resumed(eventAcks = true) {
  const budget = new BufferBudget(1 << 20);
  const session = new RelaySession('proto', 'sig', 'sid', P, new Set(['messaging']), eventAcks, 3, { maxEvents: 100, budget, metrics: noopRelayMetrics, now: () => Date.now() });
  const frames: string[] = [];
  session.attach({ send: (f) => frames.push(f), slow: () => undefined, close: () => undefined });
  session.keepHad();
  const ids = () => frames.map((f) => JSON.parse(f).id as string);
  const states = () => frames.map((f) => JSON.parse(f).params.params).map((p: { message_id: string; message_state: string }) => `${p.message_id}:${p.message_state}`);
  return { session, states, ids };
}

describe('a session resumed, caught up from the stored events', () => {
  it('gets every replayed event, then drops a late publish of one it had or of an earlier state', () => {
    const { session, states } = resumed();
    session.trackKeys(Date.now() + 60_000);
    session.open([event('m1', 'queued'), event('m1', 'initiated'), event('m1', 'delivered')]);
    session.deliver(eventKey('m1', 'sent'), 1, event('m1', 'sent').params, 'messaging.state', 'm1');
    session.deliver(eventKey('m1', 'delivered'), 1, event('m1', 'delivered').params, 'messaging.state', 'm1');
    session.deliver(eventKey('m2', 'queued'), 1, event('m2', 'queued').params, 'messaging.state', 'm2');
    expect(states()).toEqual(['m1:queued', 'm1:initiated', 'm1:delivered', 'm2:queued']);
  });

  it('restored from a checkpoint, drops what the checkpoint says it had', () => {
    const { session, states } = resumed();
    session.trackKeys(Date.now() + 60_000, [eventKey('m1', 'delivered')]);
    session.open();
    session.deliver(eventKey('m1', 'sent'), 1, event('m1', 'sent').params, 'messaging.state', 'm1');
    session.deliver(eventKey('m1', 'delivered'), 1, event('m1', 'delivered').params, 'messaging.state', 'm1');
    expect(states()).toEqual([]);
  });
});

describe('where a session stands, for its checkpoint', () => {
  it('had: what the client acknowledged; since: the margin back, or its oldest unacknowledged event', () => {
    const { session, ids } = resumed();
    session.open();
    const at = (messageId: string, state: 'queued' | 'sent' | 'delivered', t: number) => session.deliver(eventKey(messageId, state), t, event(messageId, state).params, 'messaging.state');
    at('m1', 'queued', 1_000);
    at('m1', 'sent', 9_000);
    at('m2', 'queued', 9_500);
    const [, sent, queued2] = ids();
    session.ack(sent!);
    session.ack(queued2!);
    // m1:queued (at 1 s) is not acknowledged: the position stays at it, within the floor.
    expect(session.position(10_000, 5_000, 0)).toEqual({ since: 1_000, had: ['m1:sent', 'm2:queued'] });
    expect(session.position(10_000, 5_000, 2_000)).toEqual({ since: 2_000, had: ['m1:sent', 'm2:queued'] });
    session.ack(ids()[0]!);
    // All acknowledged: the margin back; what the client had before it is let go.
    expect(session.position(14_000, 5_000, 0)).toEqual({ since: 9_000, had: ['m1:sent', 'm2:queued'] });
    expect(session.position(14_200, 5_000, 0)).toEqual({ since: 9_200, had: ['m2:queued'] });
  });

  it('of a client that does not ack: what was written to it', () => {
    const { session } = resumed(false);
    session.open();
    session.deliver(eventKey('m1', 'queued'), 9_000, event('m1', 'queued').params, 'messaging.state');
    expect(session.position(10_000, 5_000, 0)).toEqual({ since: 5_000, had: ['m1:queued'] });
  });
});
