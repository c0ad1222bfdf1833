/**
 * The executor's keys for the replies it sends: one per verb of a delivery's attempt, so a document
 * executed again for the same attempt (the node died before recording it) replays its replies
 * instead of sending them twice, while a new attempt sends anew. The acceptor is a stand-in keeping
 * keys as `acceptOnce` does (its own tests cover the store's side).
 */
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../domain/message.js';
import type { SendInput } from '../../domain/send-request.js';
import type { WebhookDeliveryRecord } from '../../domain/webhooks.js';
import type { Engine } from '../../engine/index.js';
import { CxmlExecutor } from './executor.js';

const PROJECT = '55555555-5555-4555-8555-555555555555';
const inbound = { id: 'in-1', projectId: PROJECT, from: '+15557680001', to: '+15551230002', cxmlSession: null } as unknown as MessageRecord;

/** `dies.after`: the node dies (the accept throws) once that many replies were sent. */
function harness(dies: { after: number } = { after: Infinity }) {
  const keys = new Map<string, MessageRecord>();
  const sent: SendInput[] = [];
  const engine = {
    acceptor: {
      async acceptOnce(_projectId: string, input: SendInput, key: string) {
        const earlier = keys.get(key);
        if (earlier) return { message: earlier, replayed: true };
        if (sent.length >= dies.after) throw new Error('the node died');
        sent.push(input);
        const message = { id: `reply-${sent.length}`, cxmlSession: input.cxmlSession } as unknown as MessageRecord;
        keys.set(key, message);
        return { message, replayed: false };
      },
      async replayOf(_projectId: string, _input: SendInput, key: string) {
        return keys.get(key);
      },
    },
    reads: {
      messages: { get: async () => inbound, countInCxmlSession: async () => sent.length },
      webhooks: { countCxmlDocuments: async () => 1 },
    },
    webhookOutbox: { schedule: async () => {} },
    clock: { now: () => 0 },
  } as unknown as Engine;
  const executor = new CxmlExecutor({ engine, logger: { info: () => {}, warn: () => {}, error: () => {} } as never });
  return { executor, sent, keys };
}

const delivery = (attempts: number) => ({ id: 7, projectId: PROJECT, messageId: inbound.id, kind: 'inbound_message', url: 'http://app.test/sms', fallbackUrl: null, attempts, maxAttempts: 2 }) as unknown as WebhookDeliveryRecord;
const answer = { statusCode: 200, contentType: 'text/xml', truncated: false, body: '<Response><Message>one</Message><Message>two</Message></Response>' };

describe('CxmlExecutor', () => {
  it('sends the replies of one attempt once, however often its document is executed', async () => {
    const h = harness();
    expect(await h.executor.handle(delivery(0), answer)).toEqual({ ok: true });
    expect(await h.executor.handle(delivery(0), answer)).toEqual({ ok: true });
    expect(h.sent.map((s) => s.body)).toEqual(['one', 'two']);
    expect(h.sent.every((s) => s.cxmlSession === inbound.id)).toBe(true);
    // The next attempt (the fallback URL) is a new document: its replies are its own.
    await h.executor.handle(delivery(1), answer);
    expect(h.sent).toHaveLength(4);
  });

  it('counts the replies an earlier run of the attempt sent once towards the limit of 10', async () => {
    const dies = { after: 5 };
    const h = harness(dies);
    const ten = { ...answer, body: `<Response>${Array.from({ length: 10 }, (_, i) => `<Message>${i}</Message>`).join('')}</Response>` };
    await expect(h.executor.handle(delivery(0), ten)).rejects.toThrow('the node died');
    dies.after = Infinity;
    // Run again: the five sent are replayed (and already counted), the other five are sent.
    expect(await h.executor.handle(delivery(0), ten)).toEqual({ ok: true });
    expect(h.sent.map((s) => s.body)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('recognises all 10 replies of a run that died before recording its attempt, with no 14109', async () => {
    const h = harness();
    const ten = { ...answer, body: `<Response>${Array.from({ length: 10 }, (_, i) => `<Message>${i}</Message>`).join('')}</Response>` };
    expect(await h.executor.handle(delivery(0), ten)).toEqual({ ok: true });
    // Every reply is counted already: each verb must be recognised as its own, not refused at the limit.
    expect(await h.executor.handle(delivery(0), ten)).toEqual({ ok: true });
    expect(h.sent).toHaveLength(10);
  });
});
