/**
 * The cXML executor on a real engine and store, on SQLite and on PostgreSQL: the limits of one
 * inbound exchange (replies, 14109) as the store counts them, and a document executed again after a
 * node died before recording its attempt. Documents are handed to the executor directly (as the
 * webhook runner does with an answer), so a crash is two runs of one attempt.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process-bus.js';
import type { Store } from '../src/domain/ports/store.js';
import type { WebhookDeliveryRecord } from '../src/domain/webhooks.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../src/engine/testing/test-engine.js';
import { openSqliteStore } from '../src/store/dialects/sqlite.js';
import { cxmlDelivery } from '../src/webhooks/cxml-inbound-planner.js';
import { CxmlExecutor } from '../src/webhooks/cxml/executor.js';
import { perTestPostgresStores, servicesOff } from './helpers/postgres.js';

const postgres = perTestPostgresStores(afterAll);
const backends: Array<[string, () => Promise<{ store: Store; close(): Promise<void> }>]> = [
  ['SQLite', async () => {
    const store = await openSqliteStore({ file: ':memory:' });
    return { store, close: () => store.close() };
  }],
  ...(servicesOff ? [] : [['PostgreSQL', postgres] as [string, typeof postgres]]),
];

const XML = { statusCode: 200, contentType: 'text/xml', truncated: false };
const document = (verbs: string) => ({ ...XML, body: `<Response>${verbs}</Response>` });
const messages = (n: number, text = 'reply') => Array.from({ length: n }, (_, i) => `<Message>${text} ${i}</Message>`).join('');

describe.each(backends)('cXML exchanges on %s', (_name, open) => {
  let t: TestEngine;
  let close: () => Promise<void>;
  let executor: CxmlExecutor;
  beforeEach(async () => {
    const opened = await open();
    close = opened.close;
    t = await buildTestEngine({ store: opened.store, bus: new InProcessBus() });
    executor = new CxmlExecutor({ engine: t.engine, logger: t.logger });
  });
  afterEach(async () => {
    await t.engine.stop();
    await close();
  });

  /** A message from a handset, and the delivery that offers it to the number's cXML URL. */
  async function inbound(): Promise<{ id: string; delivery: WebhookDeliveryRecord }> {
    const [routed] = await t.engine.inbound.receive([{ from: HANDSET, to: TEST_NUMBERS[1], body: 'hello', media: [], carrier: t.carrier.descriptor.id, receivedAt: t.clock.now() }]);
    const id = (routed as { messageId: string }).messageId;
    const message = await t.message(id);
    await t.engine.webhookOutbox.schedule([cxmlDelivery(message, 'inbound_message', { url: 'http://app.test/sms', method: 'POST', fallbackUrl: null, fallbackMethod: 'POST' }, {}, t.clock.now())]);
    const [delivery] = await t.engine.reads.webhooks.listForMessage(t.project.id, id);
    return { id, delivery: delivery! };
  }

  const replies = (session: string) => t.engine.reads.messages.countInCxmlSession(t.project.id, session);

  it('recognises all 10 replies of a document executed again after a crash: nothing sent twice, no 14109', async () => {
    const { id, delivery } = await inbound();
    expect(await executor.handle(delivery, document(messages(10)))).toEqual({ ok: true });
    // The node died before recording the attempt: the next node executes the same attempt's document again.
    expect(await executor.handle(delivery, document(messages(10)))).toEqual({ ok: true });
    expect(await replies(id)).toBe(10);
    expect(t.logger.messages('warn')).toEqual([]);
  });

  it('on such a replay still refuses a reply the earlier run did not send (14109)', async () => {
    const { id, delivery } = await inbound();
    expect(await executor.handle(delivery, document(messages(10)))).toEqual({ ok: true });
    const eleven = document(messages(11));
    const verdict = await executor.handle(delivery, eleven);
    expect(verdict).toMatchObject({ ok: false, retryable: false });
    expect((verdict as { error: string }).error).toMatch(/^14109: 10 replies were already sent/);
    expect(await replies(id)).toBe(10);
  });
});
