/**
 * Reading query_sm answers: SMPP v5.0's message_state 0 (SCHEDULED, not tried yet) is still on its
 * way and 9 (SKIPPED, accepted but never transmitted) is final, like a receipt with those states.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../domain/ports/store.js';
import { parseSmppSection } from './config.js';
import { newCounters, type SmppContext } from './context.js';
import { queryMessages } from './query.js';
import type { SmppSession } from './session.js';

function ask(messageState: number) {
  const config = parseSmppSection({ connectors: [{ id: 'c1', host: '127.0.0.1', port: 2775, systemId: 'sw', password: 'pw' }], routes: [] }).connectors[0]!;
  const store = { carrierParts: { listForMessages: async () => [] } } as unknown as Store;
  const ctx: SmppContext = { config, deps: { store, logger: { info() {}, warn() {}, error() {} } as never, now: Date.now }, counters: newCounters(), sink: () => undefined };
  const session = { query: async () => ({ command: 'query_sm_resp', sequence: 1, status: 0, messageId: 'x1', finalDate: '', messageState, errorCode: 0 }) } as unknown as SmppSession<unknown>;
  const message = { messageId: 'm1', projectId: 'p1', from: '+15551230001', to: '+447700900001', carrierMessageId: 'x1', segments: 1, sentAt: 0 };
  return queryMessages(ctx, () => [session], [message]);
}

describe('query_sm answers with SMPP v5.0 message states', () => {
  it('reads SKIPPED as undelivered and SCHEDULED as still on its way', async () => {
    expect(await ask(9)).toEqual([{ state: 'undelivered', error: 'UNKNOWN_DELIVERY_ERROR', detail: 'query_sm: stat SKIPPED' }]);
    expect(await ask(0)).toEqual([{ state: 'enroute' }]);
    expect(await ask(2)).toEqual([{ state: 'delivered' }]);
  });
});
