/**
 * The cXML executor on a real engine and store, on SQLite and on PostgreSQL: the limits of one
 * inbound exchange as the store counts them (10 replies, 14109; 50 documents, 14106), and a
 * document executed again after a node died before recording its attempt. Documents are handed to the executor directly (as the
 * webhook runner does with an answer), so a crash is two runs of one attempt.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process-bus.js';
import type { WebhookDeliveryRecord } from '../src/domain/webhooks.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../src/engine/testing/test-engine.js';
import { cxmlDelivery } from '../src/webhooks/cxml-inbound-planner.js';
import { CxmlExecutor, MAX_DOCUMENTS } from '../src/webhooks/cxml/executor.js';
import { storeBackends } from './helpers/postgres.js';

const backends = storeBackends(afterAll);

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
  const deliveries = (messageId: string) => t.engine.reads.webhooks.listForMessage(t.project.id, messageId);

  /** Answer the inbound request and each redirect it leads to with `<Redirect>` until `n` documents were requested. */
  async function redirectChain(n: number): Promise<{ id: string; last: WebhookDeliveryRecord }> {
    const { id, delivery } = await inbound();
    let last = delivery;
    for (let i = 1; i < n; i++) {
      expect(await executor.handle(last, document('<Redirect>/sms/next</Redirect>'))).toEqual({ ok: true });
      last = (await deliveries(id)).at(-1)!;
    }
    expect(await deliveries(id)).toHaveLength(n);
    return { id, last };
  }

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

  it('requests at most 50 documents for one exchange: the 50th document’s <Redirect> is not followed (14106)', async () => {
    const { id, last } = await redirectChain(MAX_DOCUMENTS);
    const verdict = await executor.handle(last, document('<Message>still sent</Message><Redirect>/sms/next</Redirect>'));
    expect(verdict).toMatchObject({ ok: false, retryable: false });
    expect((verdict as { error: string }).error).toBe(`14106: 50 documents were already requested for inbound message ${id}; this <Redirect> was not followed`);
    expect(await deliveries(id)).toHaveLength(MAX_DOCUMENTS);
    // The verbs before it ran, as they would have.
    expect(await replies(id)).toBe(1);
    expect(t.logger.messages('warn')).toEqual(['cXML document not executed as a whole']);
  });

  it('counts the action requests of the exchange’s replies, and sends the 50th document’s <Message action> without its action (14106)', async () => {
    const { id, last } = await redirectChain(MAX_DOCUMENTS - 2);
    // The 48th document replies with an action; the reply's action request (as the planner queues it once the reply is sent) is the 49th.
    expect(await executor.handle(last, document('<Message action="/sms/action">first</Message>'))).toEqual({ ok: true });
    const reply = (await t.engine.reads.messages.list(t.project.id, {}, { limit: 10 })).find((m) => m.body === 'first')!;
    expect(reply).toMatchObject({ cxmlSession: id, statusCallback: 'http://app.test/sms/action', callbackFormat: 'action-post' });
    await t.engine.webhookOutbox.schedule([cxmlDelivery(reply, 'message_action', { url: reply.statusCallback!, method: 'POST', fallbackUrl: null, fallbackMethod: 'POST' }, {}, t.clock.now())]);
    let [action] = await deliveries(reply.id);
    // The 49th may still ask for the 50th; the 50th may not ask for a 51st.
    expect(await executor.handle(action!, document('<Redirect>/sms/next</Redirect>'))).toEqual({ ok: true });
    [, action] = await deliveries(reply.id);
    const verdict = await executor.handle(action!, document('<Message action="/sms/action">second</Message><Message>not run</Message>'));
    expect((verdict as { error: string }).error).toBe(`14106: 50 documents were already requested for inbound message ${id}; the reply was sent, its action URL was not requested`);
    const second = (await t.engine.reads.messages.list(t.project.id, {}, { limit: 10 })).find((m) => m.body === 'second')!;
    expect(second).toMatchObject({ cxmlSession: id, statusCallback: null });
    expect(await replies(id)).toBe(2);
  });
});
