/**
 * The state-event spacing of one session, on fake timers and a hand-moved clock: a sent message's
 * events wait for its answer, the client's pong to the ping written after it, and the gap; they
 * keep their order; other messages' events are not held; one ping covers a burst of answers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PONG_WAIT_MS, StateEventSpacing } from './state-spacing.js';

const GAP = 5;
let now: number;
let pings: string[];
let written: string[][];
let spacing: StateEventSpacing<string>;

function advance(ms: number): void {
  now += ms;
  vi.advanceTimersByTime(ms);
}

/** Hold `event` of `messageId`, or write it at once as the session would. */
function deliver(messageId: string, event: string): void {
  if (!spacing.hold(messageId, event)) written.push([event]);
}

beforeEach(() => {
  vi.useFakeTimers();
  now = 1_000;
  pings = [];
  written = [];
  spacing = new StateEventSpacing(GAP, { ping: (id) => pings.push(id), write: (events) => written.push(events) }, () => now);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('state-event spacing', () => {
  it("holds a sent message's events until the pong after its answer and the gap, then writes them together, in order", () => {
    spacing.expect('m1');
    deliver('m1', 'queued');
    spacing.answered('m1');
    expect(pings).toHaveLength(1);
    deliver('m1', 'initiated');
    advance(GAP * 4);
    expect(written).toEqual([]);
    expect(spacing.pong(pings[0]!)).toBe(true);
    advance(0);
    expect(written).toEqual([['queued', 'initiated']]);
    // Once written, later events of the message go at once.
    deliver('m1', 'delivered');
    expect(written.at(-1)).toEqual(['delivered']);
    expect(spacing.heldCount).toBe(0);
  });

  it('keeps the gap after the answer even when the pong is quick', () => {
    spacing.expect('m1');
    spacing.answered('m1');
    deliver('m1', 'queued');
    spacing.pong(pings[0]!);
    advance(GAP - 1);
    expect(written).toEqual([]);
    advance(1);
    expect(written).toEqual([['queued']]);
  });

  it('does not hold events of messages this session did not send', () => {
    spacing.expect('m1');
    deliver('other', 'received');
    expect(written).toEqual([['received']]);
  });

  it('writes one ping for a burst of answers; answers written while it is out wait for the next one', () => {
    for (const m of ['a', 'b']) spacing.expect(m);
    spacing.answered('a');
    spacing.answered('b');
    expect(pings).toHaveLength(1);
    deliver('a', 'a:queued');
    deliver('b', 'b:queued');
    spacing.pong(pings[0]!);
    // "b" was answered after the ping went: its pong is the second ping's.
    expect(pings).toHaveLength(2);
    advance(GAP);
    expect(written).toEqual([['a:queued']]);
    spacing.pong(pings[1]!);
    advance(GAP);
    expect(written).toEqual([['a:queued'], ['b:queued']]);
  });

  it('gives up waiting for a pong that does not come', () => {
    spacing.expect('m1');
    spacing.answered('m1');
    deliver('m1', 'queued');
    advance(PONG_WAIT_MS - 1);
    expect(written).toEqual([]);
    advance(1);
    expect(written).toEqual([['queued']]);
  });

  it('answers false for pongs that are not its own, and holds nothing with a gap of 0', () => {
    expect(spacing.pong('someone-else')).toBe(false);
    const off = new StateEventSpacing<string>(0, { ping: (id) => pings.push(id), write: (events) => written.push(events) }, () => now);
    off.expect('m1');
    off.answered('m1');
    expect(off.hold('m1', 'queued')).toBe(false);
    expect(pings).toEqual([]);
  });

  it('drops what it holds when the session leaves its connection', () => {
    spacing.expect('m1');
    deliver('m1', 'queued');
    spacing.clear();
    advance(PONG_WAIT_MS * 20);
    expect(written).toEqual([]);
    expect(spacing.heldCount).toBe(0);
  });
});
