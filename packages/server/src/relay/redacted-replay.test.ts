import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../domain/message.js';
import type { BufferedRelayEvent } from '../domain/ports/relay-resume.js';
import { BufferBudget, eventCost } from './buffer-budget.js';
import { withoutRedactedText } from './redacted-replay.js';

function event(id: string, type: string, messageId: string, body: string): BufferedRelayEvent {
  return { id, key: `${messageId}:${id}`, at: 1, params: JSON.stringify({ event_type: type, context: 'office', params: { message_id: messageId, body, message_state: 'sent' } }) };
}

const reads = (redacted: string[], fail = false) => ({
  getMany: async (_project: string, ids: readonly string[]) => {
    if (fail) throw new Error('storage down');
    return ids.map((id) => ({ id, redactedAt: redacted.includes(id) ? 5 : null }) as MessageRecord);
  },
});

describe('withoutRedactedText', () => {
  const events = [event('1', 'messaging.state', 'm1', 'secret'), event('2', 'messaging.receive', 'm2', 'kept'), event('3', 'signalwire.authorization.state', 'm1', 'x'), event('4', 'messaging.state', 'm1', 'secret')];

  it('erases the body of redacted messages\' events only, keeping ids, keys and order, and the budget follows the shorter text', async () => {
    const budget = new BufferBudget(1 << 20);
    let held = 0;
    for (const e of events) {
      expect(budget.take('p1', eventCost(e.params))).toBe(true);
      held += eventCost(e.params);
    }
    const out = await withoutRedactedText(events, 'p1', reads(['m1']), budget);
    expect(out.map((e) => [e.id, e.key])).toEqual(events.map((e) => [e.id, e.key]));
    expect(out.map((e) => JSON.parse(e.params).params.body)).toEqual(['', 'kept', 'x', '']);
    expect(out[0]!.params.startsWith('{"event_type":"messaging.state"')).toBe(true);
    const now = out.reduce((n, e) => n + eventCost(e.params), 0);
    expect(now).toBe(held - 2 * 'secret'.length);
    for (const e of out) budget.give('p1', eventCost(e.params));
    expect(budget.usedBy('p1')).toBe(0);
  });

  it('replays the events as they are when nothing is redacted or storage cannot be read', async () => {
    const budget = new BufferBudget(1 << 20);
    expect(await withoutRedactedText(events, 'p1', reads([]), budget)).toEqual(events);
    expect(await withoutRedactedText(events, 'p1', reads(['m1'], true), budget)).toEqual(events);
  });
});
