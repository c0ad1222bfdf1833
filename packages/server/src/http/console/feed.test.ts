import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ConsoleFeedBatch } from '@switchboard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import type { MessageRecord } from '../../domain/message.js';
import { newSealKey, sealKeys } from '../../domain/position-seal.js';
import { projectSeals } from '../sealed-positions.js';
import { ConsoleFeed, DEFAULT_FEED_LIMITS, type FeedLimits } from './feed.js';

/** A response that records what is written and can pretend its socket is full. */
class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  full = false;
  ended = false;
  destroyed = false;
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.chunks.push(chunk);
    return !this.full;
  }
  end() {
    this.ended = true;
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
  batches(): ConsoleFeedBatch[] {
    return this.chunks.filter((c) => c.startsWith('event: batch')).map((c) => JSON.parse(c.split('\n')[1]!.slice(6)) as ConsoleFeedBatch);
  }
}

function message(projectId: string, id: string, status: MessageRecord['status']): MessageRecord {
  return {
    id, projectId, seq: 1, direction: 'outbound', origin: 'rest', from: '+15551230001', to: '+15557654321', body: 'x'.repeat(400), media: [], kind: 'sms', encoding: 'GSM-7', segments: 3, status,
    errorCode: null, errorMessage: null, reason: null, statusCallback: null, callbackFormat: null, customVariables: null, context: null, tags: [], numberGroupId: null, applicationId: null,
    price: null, priceUnit: 'USD', maxPrice: null, validityPeriod: 1, expiresAt: 0, carrier: null, carrierMessageId: null, createdAt: 0, updatedAt: 0, sentAt: null, redactedAt: null, deletedAt: null, cxmlSession: null, relaySender: null,
  };
}

const LIMITS: FeedLimits = { ...DEFAULT_FEED_LIMITS, flushMs: 10, maxPendingMessages: 50, maxClientsPerProject: 2, maxClients: 3 };
const SEALS = projectSeals(sealKeys(newSealKey()), 'p1');
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ConsoleFeed', () => {
  const bus = new InProcessBus();
  let feed: ConsoleFeed;
  afterEach(() => feed.close());

  function publish(m: MessageRecord) {
    bus.publish('message.status', { projectId: m.projectId, message: m, status: m.status, at: 0, event: { messageId: m.id, projectId: m.projectId, status: m.status, at: 0, errorCode: null, errorMessage: null, detail: null } });
  }

  it('sends each message once per batch with its latest state, to its own project only, bodies cut short', async () => {
    feed = new ConsoleFeed(bus, LIMITS);
    const mine = new FakeResponse();
    const theirs = new FakeResponse();
    feed.attach('p1', mine as unknown as ServerResponse, SEALS);
    feed.attach('p2', theirs as unknown as ServerResponse, SEALS);
    for (const s of ['queued', 'initiated', 'sent', 'delivered'] as const) publish(message('p1', 'm1', s));
    publish(message('p1', 'm2', 'queued'));
    await wait(40);
    const batches = mine.batches();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.messages.map((m) => [m.id, m.status])).toEqual([
      ['m1', 'delivered'],
      ['m2', 'queued'],
    ]);
    expect(batches[0]!.messages[0]!.body.length).toBeLessThanOrEqual(281);
    expect(theirs.batches()).toEqual([]);
  });

  it('leaves out a message deleted through the Compatibility API, also when its earlier state is pending', async () => {
    feed = new ConsoleFeed(bus, LIMITS);
    const res = new FakeResponse();
    feed.attach('p1', res as unknown as ServerResponse, SEALS);
    publish(message('p1', 'm1', 'sent'));
    publish({ ...message('p1', 'm1', 'delivered'), deletedAt: 5 });
    publish(message('p1', 'm2', 'queued'));
    await wait(40);
    expect(res.batches().flatMap((b) => b.messages.map((m) => m.id))).toEqual(['m2']);
  });

  it('resets a client that falls behind instead of buffering without bound', async () => {
    feed = new ConsoleFeed(bus, LIMITS);
    const slow = new FakeResponse();
    feed.attach('p1', slow as unknown as ServerResponse, SEALS);
    publish(message('p1', 'first', 'queued'));
    slow.full = true;
    await wait(30); // The first batch is written and fills the socket.
    for (let i = 0; i < 200; i++) publish(message('p1', `m${i}`, 'queued'));
    await wait(30);
    expect(slow.batches()).toHaveLength(1);
    slow.full = false;
    slow.emit('drain');
    publish(message('p1', 'after', 'queued'));
    await wait(30);
    const last = slow.batches().at(-1)!;
    expect(last.reset).toBe(true);
    expect(last.messages).toEqual([]);
    expect(feed.stats.resets).toBe(1);
  });

  it('disconnects a client whose socket has not drained for maxStallMs, freeing its slot', async () => {
    let now = 1_000;
    feed = new ConsoleFeed(bus, { ...LIMITS, maxStallMs: 30_000 }, () => now);
    const stuck = new FakeResponse();
    const reading = new FakeResponse();
    feed.attach('p1', stuck as unknown as ServerResponse, SEALS);
    feed.attach('p1', reading as unknown as ServerResponse, SEALS);
    expect(feed.canAccept('p1')).toBe(false);
    stuck.full = true;
    publish(message('p1', 'm1', 'queued'));
    await wait(30);
    // Blocked, but not for long yet.
    now += 29_000;
    await wait(30);
    expect(stuck.destroyed).toBe(false);
    now += 1_000;
    await wait(30);
    expect(stuck.destroyed).toBe(true);
    expect(reading.destroyed).toBe(false);
    expect(feed.stats.stalled).toBe(1);
    expect(feed.clientsOf('p1')).toBe(1);
    expect(feed.canAccept('p1')).toBe(true);
  });

  it('limits connections per project and in all', () => {
    feed = new ConsoleFeed(bus, LIMITS);
    feed.attach('p1', new FakeResponse() as unknown as ServerResponse, SEALS);
    feed.attach('p1', new FakeResponse() as unknown as ServerResponse, SEALS);
    expect(feed.canAccept('p1')).toBe(false);
    expect(feed.canAccept('p2')).toBe(true);
    feed.attach('p2', new FakeResponse() as unknown as ServerResponse, SEALS);
    expect(feed.canAccept('p3')).toBe(false);
  });

  it('forgets a client when its connection closes, and ends every stream on close', async () => {
    feed = new ConsoleFeed(bus, LIMITS);
    const a = new FakeResponse();
    const b = new FakeResponse();
    feed.attach('p1', a as unknown as ServerResponse, SEALS);
    feed.attach('p1', b as unknown as ServerResponse, SEALS);
    a.emit('close');
    expect(feed.clientsOf('p1')).toBe(1);
    feed.close();
    expect(b.ended).toBe(true);
    expect(feed.clientsOf('p1')).toBe(0);
  });

  it('ends a stream whose check fails, every recheckMs and at once when its project\'s credentials change', async () => {
    feed = new ConsoleFeed(bus, { ...LIMITS, recheckMs: 30 });
    let allowed = true;
    let checks = 0;
    const watched = new FakeResponse();
    const failing = new FakeResponse();
    const other = new FakeResponse();
    feed.attach('p1', watched as unknown as ServerResponse, SEALS, async () => (checks++, allowed));
    feed.attach('p1', failing as unknown as ServerResponse, SEALS, () => Promise.reject(new Error('storage down')));
    feed.attach('p2', other as unknown as ServerResponse, SEALS, async () => false);
    await wait(60);
    // Checked in time; a check that fails ends its stream like a refusal.
    expect(checks).toBeGreaterThan(0);
    expect([watched.ended, failing.ended, other.ended]).toEqual([false, true, true]);
    feed.close();

    feed = new ConsoleFeed(bus, { ...LIMITS, recheckMs: 60_000 });
    const revoked = new FakeResponse();
    feed.attach('p1', revoked as unknown as ServerResponse, SEALS, async () => allowed);
    allowed = false;
    await wait(30);
    expect(revoked.ended).toBe(false);
    bus.publish('credentials.changed', { projectId: 'p1' });
    await wait(10);
    expect(revoked.ended).toBe(true);
    expect(feed.clientsOf('p1')).toBe(0);
  });
});
