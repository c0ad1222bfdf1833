/**
 * Safe retries through the engine (`acceptor.acceptOnce`): a key names the message its first
 * request created, in the same transaction, for 24 hours; retries get that message back and send
 * nothing; concurrent requests with one key create one message; a different request is refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { isAppError } from '../../domain/app-error.js';
import { IDEMPOTENCY_WINDOW_MS } from '../../domain/idempotency.js';
import type { SendInput } from '../../domain/send-request.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() })));
afterEach(() => t.close());

const request = (overrides: Partial<SendInput> = {}): SendInput => ({ to: HANDSET, from: TEST_NUMBERS[0], body: 'Your code is 123456', media: undefined, callbackFormat: 'json', origin: 'rest', ...overrides });
const acceptOnce = (key: unknown, input: SendInput = request()) => t.engine.acceptor.acceptOnce(t.project.id, input, key);
const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err);
const messageCount = async () => (await t.engine.reads.messages.list(t.project.id, {}, { limit: 100 })).length;

describe('an idempotency key', () => {
  it('returns the original message for a retry of the same request, and sends it once', async () => {
    const first = await acceptOnce('order-1001');
    expect(first.replayed).toBe(false);
    await t.engine.start();
    await t.statuses.reached(first.message.id, 'sent');
    // The same request again, its fields in another order: the first answer again (the message as accepted).
    const again = await acceptOnce('order-1001', { origin: 'rest', body: 'Your code is 123456', callbackFormat: 'json', from: TEST_NUMBERS[0], to: HANDSET, media: undefined });
    expect(again).toEqual({ message: first.message, replayed: true });
    expect((await t.message(first.message.id)).status).toBe('sent');
    expect(await messageCount()).toBe(1);
    expect(t.carrier.submissions.map((s) => s.messageId)).toEqual([first.message.id]);
  });

  it('refuses the same key with a different request, and leaves the original alone', async () => {
    const first = await acceptOnce('k-1');
    const err = await failureOf(acceptOnce('k-1', request({ body: 'another text' })));
    expect(isAppError(err, 'IDEMPOTENCY_KEY_REUSED')).toBe(true);
    expect(await messageCount()).toBe(1);
    expect((await acceptOnce('k-1')).message.id).toBe(first.message.id);
  });

  it('creates one message for concurrent requests with one key; every caller gets it', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => acceptOnce('burst')));
    expect(new Set(answers.map((a) => a.message.id)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(await messageCount()).toBe(1);
    // Spread over turns of the event loop too (separate transactions).
    const later = await Promise.all([acceptOnce('spread'), new Promise((r) => setImmediate(r)).then(() => acceptOnce('spread'))]);
    expect(later[0].message.id).toBe(later[1].message.id);
    expect(await messageCount()).toBe(2);
  });

  it('is written with its message: a failed commit keeps neither, and a retry creates the message', async () => {
    t.store.failNextCommit();
    expect(await failureOf(acceptOnce('atomic'))).toBeInstanceOf(Error);
    expect(await messageCount()).toBe(0);
    expect(await t.store.idempotency.get(t.project.id, 'atomic', t.clock.now())).toBeUndefined();
    const retried = await acceptOnce('atomic');
    expect(retried.replayed).toBe(false);
    expect(await t.store.idempotency.get(t.project.id, 'atomic', t.clock.now())).toMatchObject({ messageId: retried.message.id });
  });

  it('keeps nothing for a refused request: the corrected request may use the key', async () => {
    const refused = await failureOf(acceptOnce('fix-me', request({ to: 'not a number' })));
    expect(isAppError(refused, 'TO_INVALID')).toBe(true);
    expect((await acceptOnce('fix-me')).replayed).toBe(false);
  });

  it('expires after 24 hours: the key then names a new message', async () => {
    const first = await acceptOnce('daily');
    t.clock.advance(IDEMPOTENCY_WINDOW_MS - 1);
    expect((await acceptOnce('daily')).message.id).toBe(first.message.id);
    t.clock.advance(1);
    const next = await acceptOnce('daily', request({ body: 'a new day' }));
    expect(next.replayed).toBe(false);
    expect(next.message.id).not.toBe(first.message.id);
  });

  it('must be 1 to 255 printable ASCII characters; a quoted (structured field) value is unquoted', async () => {
    for (const bad of ['', 'x'.repeat(256), 'tab\there', 'é', 42]) {
      expect(isAppError(await failureOf(acceptOnce(bad)), 'IDEMPOTENCY_KEY_INVALID')).toBe(true);
    }
    const quoted = await acceptOnce('"8e03978e-40d5-43e8-bc93-6894a57f9324"');
    expect((await acceptOnce('8e03978e-40d5-43e8-bc93-6894a57f9324')).message.id).toBe(quoted.message.id);
    expect(await messageCount()).toBe(1);
  });

  it('replays a message redacted since as it is now: erased text is not given back', async () => {
    const first = await acceptOnce('secret');
    await t.engine.start();
    await t.statuses.reached(first.message.id, 'sent');
    await t.engine.messages.redact(t.project.id, first.message.id);
    const again = await acceptOnce('secret');
    expect(again.message).toMatchObject({ id: first.message.id, body: '', status: 'sent' });
  });

  it('is optional: without one every request creates a message', async () => {
    await acceptOnce(undefined);
    await acceptOnce(null);
    expect(await messageCount()).toBe(2);
  });
});
