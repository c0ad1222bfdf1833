/**
 * The stalled-answer sweep of UnreadAnswers, on sockets whose write state the test sets: a client
 * that keeps reading answers written one after another is not cut, however large the bytes left at
 * each look; one that reads nothing is, after `stallMs`.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnreadAnswers } from './unread-answers.js';

/** What a net.Socket shows of its writes: handed to it in all, buffered, and queued in libuv. */
class FakeSocket extends EventEmitter {
  bytesWritten = 0;
  writableLength = 0;
  readonly _handle = { writeQueueSize: 0 };
  destroyed = false;
  readonly remoteAddress = '127.0.0.1';
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('UnreadAnswers: stalled answers', () => {
  const stallMs = 30_000;
  // The sweep looks every 5 s with a 30 s stall.
  const look = () => vi.advanceTimersByTime(5_000);

  it('keeps a client that reads each answer while the next is written, even with more left at each look than at the first', () => {
    const unread = new UnreadAnswers(stallMs, pino({ level: 'silent' }), () => Date.now());
    const socket = new FakeSocket();
    unread.track(socket as unknown as Socket);
    // At each look a new answer is under way (the one before it was read whole): bytes left never
    // drop below the first look's, but the network keeps taking bytes.
    for (let i = 0; i < 12; i++) {
      socket.bytesWritten += 1_000_000;
      socket.writableLength = 500_000 + i * 10_000;
      look();
      expect(socket.destroyed, `look ${i}`).toBe(false);
    }
  });

  it('closes a connection whose client reads nothing, once stallMs has passed', () => {
    const unread = new UnreadAnswers(stallMs, pino({ level: 'silent' }), () => Date.now());
    const socket = new FakeSocket();
    unread.track(socket as unknown as Socket);
    socket.bytesWritten = 3_000_000;
    socket.writableLength = 2_000_000;
    socket._handle.writeQueueSize = 100_000;
    look();
    for (let waited = 5_000; waited < stallMs; waited += 5_000) {
      look();
      expect(socket.destroyed).toBe(false);
    }
    look();
    expect(socket.destroyed).toBe(true);
  });
});
