/**
 * The message journal, the one write path: group commit, guarded changes, publish after commit,
 * redaction. Creates go through the engine's acceptor; state changes through a journal built on the
 * same ports as the engine under test (the engine keeps its own journal to itself).
 */
import { ERRORS } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../domain/app-error.js';
import { StoreUnavailableError } from '../../domain/ports/store.js';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, HANDSET, TEST_NUMBERS, type TestEngine } from '../testing/test-engine.js';
import { MessageJournal, type ChangeRequest } from './journal.js';
import { RecentMessages } from './recent-messages.js';

const inMemory = async () => ({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() });

let t: TestEngine;
let journal: MessageJournal;
beforeEach(async () => {
  t = await buildTestEngine(await inMemory());
  journal = new MessageJournal({ store: t.store, clock: t.clock, ids: t.ids, bus: t.bus, metrics: t.metrics, planners: [], recent: new RecentMessages() });
});
afterEach(() => t.close());

/** A change of a message of the test project. */
const change = (messageId: string, to: ChangeRequest['to'], more: Partial<ChangeRequest> = {}): ChangeRequest => ({ projectId: t.project.id, messageId, to, ...more });

describe('group commit', () => {
  it('commits many accepts made in one turn in one transaction, each with its event row and job', async () => {
    const before = t.store.transactions;
    const accepted = await Promise.all(Array.from({ length: 25 }, (_, i) => t.send({ body: `message ${i}` })));
    expect(t.store.transactions - before).toBe(1);
    expect(new Set(accepted.map((m) => m.id)).size).toBe(25);
    expect(await t.engine.backlog()).toEqual({ dispatch: 25, webhooks: 0 });
    for (const m of accepted) expect(await t.timeline(m.id)).toEqual(['queued']);
    // Published once committed, in the order accepted.
    expect(t.statuses.events.map((e) => e.message.id)).toEqual(accepted.map((m) => m.id));
  });

  it('commits many state changes requested in one turn in one transaction', async () => {
    const messages = await Promise.all([t.send(), t.send(), t.send()]);
    const before = t.store.transactions;
    const applied = await Promise.all(messages.map((m) => journal.record(change(m.id, 'initiated'))));
    expect(applied).toEqual([true, true, true]);
    expect(t.store.transactions - before).toBe(1);
  });
});

describe('state changes', () => {
  it('applies two changes of one message in one batch in order (sent, then delivered)', async () => {
    const m = await t.send();
    t.clock.advance(1_000);
    const applied = await journal.recordMany([change(m.id, 'sent', { carrier: 'scripted', carrierMessageId: 'c-1', price: 0.01 }), change(m.id, 'delivered', { detail: { receipt: true } })]);
    expect(applied).toEqual([true, true]);
    expect(await t.message(m.id)).toMatchObject({ status: 'delivered', carrier: 'scripted', carrierMessageId: 'c-1', price: 0.01, sentAt: t.clock.now() });
    const events = await t.engine.reads.events.listForMessage(t.project.id, m.id);
    expect(events.map((e) => [e.status, e.detail])).toEqual([
      ['queued', { origin: 'rest' }],
      ['sent', { carrier: 'scripted', carrier_message_id: 'c-1' }],
      ['delivered', { receipt: true }],
    ]);
    expect(t.statuses.of(m.id)).toEqual(['queued', 'sent', 'delivered']);
  });

  it('resolves false for a change the lifecycle does not allow, and writes and publishes nothing for it', async () => {
    const m = await t.send();
    expect(await journal.record(change(m.id, 'failed', { error: 'CARRIER_BLOCKED' }))).toBe(true);
    const results = await journal.recordMany([change(m.id, 'initiated'), change(m.id, 'sent'), change(m.id, 'delivered'), change('00000000-0000-4000-8000-00000000ffff', 'sent')]);
    expect(results).toEqual([false, false, false, false]);

    const [inbound] = await (await startedCarrier()).inbound({ from: HANDSET, to: TEST_NUMBERS[0], body: 'hi' });
    const inboundId = (inbound as { messageId: string }).messageId;
    expect(await journal.record(change(inboundId, 'delivered'))).toBe(false);

    expect(await t.message(m.id)).toMatchObject({ status: 'failed', errorCode: String(ERRORS.CARRIER_BLOCKED.compat), reason: ERRORS.CARRIER_BLOCKED.native });
    expect(await t.timeline(m.id)).toEqual(['queued', 'failed']);
    expect(t.statuses.of(m.id)).toEqual(['queued', 'failed']);
    expect(await t.timeline(inboundId)).toEqual(['received']);
    expect(t.statuses.of(inboundId)).toEqual(['received']);
  });

  // Two receipts of one message to the same state in one batch: the first applies, and its facts
  // (not the refused one's) go on the event.
  it('of two changes of one message to the same status in one batch, only the first applies and its facts are recorded', async () => {
    const m = await t.send();
    const applied = await journal.recordMany([change(m.id, 'undelivered', { error: 'HANDSET_UNREACHABLE', detail: { receipt: 1 } }), change(m.id, 'undelivered', { error: 'CARRIER_BLOCKED', detail: { receipt: 2 } })]);
    const events = await t.engine.reads.events.listForMessage(t.project.id, m.id);
    expect({ applied, detail: events[1]?.detail }).toEqual({ applied: [true, false], detail: { receipt: 1, reason: ERRORS.HANDSET_UNREACHABLE.native } });
  });
});

describe('publishing after commit', () => {
  it('a create whose commit fails rejects, stores nothing and publishes nothing', async () => {
    t.store.failNextCommit();
    await expect(t.send()).rejects.toThrow('commit failed');
    expect(await t.engine.reads.messages.list(t.project.id, {}, { limit: 10 })).toEqual([]);
    expect(await t.engine.backlog()).toEqual({ dispatch: 0, webhooks: 0 });
    expect(t.statuses.events).toEqual([]);
  });

  it('a change whose commit fails rejects and leaves the message, its events and the bus as they were', async () => {
    const m = await t.send();
    t.store.failNextCommit();
    await expect(journal.record(change(m.id, 'failed', { error: 'CARRIER_BLOCKED' }))).rejects.toThrow('commit failed');
    expect(await t.message(m.id)).toMatchObject({ status: 'queued', errorCode: null });
    expect(await t.timeline(m.id)).toEqual(['queued']);
    expect(t.statuses.of(m.id)).toEqual(['queued']);
  });
});

describe('a commit whose answer was lost', () => {
  it('publishes the changes it wrote when the retry finds them stored, and only those', async () => {
    const m = await t.send();
    t.store.loseNextCommitAnswer(new StoreUnavailableError('database unavailable: Connection terminated unexpectedly'));
    // Written by the first attempt; the retry's guard refuses them all, the last one rightly.
    const applied = await journal.recordMany([change(m.id, 'sent'), change(m.id, 'delivered'), change(m.id, 'undelivered')]);
    expect(await t.timeline(m.id)).toEqual(['queued', 'sent', 'delivered']);
    expect(applied).toEqual([true, true, false]);
    // RELAY sessions and the console hear of them (they heard nothing of the lost attempt).
    expect(t.statuses.of(m.id)).toEqual(['queued', 'sent', 'delivered']);
  });
});

describe('redaction', () => {
  it('empties the body of a finished message and keeps its history; a message in progress is refused', async () => {
    const m = await t.send({ body: 'the secret code is 1234' });
    await expect(t.engine.messages.redact(t.project.id, m.id)).rejects.toSatisfy((err) => err instanceof AppError && err.key === 'REDACT_IN_PROGRESS');

    await journal.recordMany([change(m.id, 'sent'), change(m.id, 'delivered')]);
    t.clock.advance(60_000);
    const redacted = await t.engine.messages.redact(t.project.id, m.id);
    expect(redacted).toMatchObject({ body: '', redactedAt: t.clock.now(), status: 'delivered' });
    expect(await t.message(m.id)).toMatchObject({ body: '', redactedAt: t.clock.now() });
    expect(await t.timeline(m.id)).toEqual(['queued', 'sent', 'delivered']);
  });
});

/** The carrier, started (its sink connected), for inbound messages. */
async function startedCarrier() {
  await t.engine.start();
  return t.carrier;
}
