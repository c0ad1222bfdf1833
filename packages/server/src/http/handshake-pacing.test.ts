import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HandshakePacer, type PacerTimers } from './handshake-pacing.js';

/** Timers moved by hand. */
class ManualTimers implements PacerTimers {
  private t = 0;
  private due: Array<{ at: number; fn: () => void }> = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): () => void {
    const entry = { at: this.t + ms, fn };
    this.due.push(entry);
    return () => {
      this.due = this.due.filter((e) => e !== entry);
    };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.due.filter((e) => e.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.due = this.due.filter((e) => e !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.due.length;
  }
}

function fakeSocket(remoteAddress: string): Socket & { close(): void } {
  const s = new EventEmitter() as EventEmitter & { remoteAddress: string; destroyed: boolean; close(): void };
  s.remoteAddress = remoteAddress;
  s.destroyed = false;
  s.close = () => {
    s.destroyed = true;
    s.emit('close');
  };
  return s as unknown as Socket & { close(): void };
}

describe('HandshakePacer', () => {
  it('starts a burst at once, then the rest at the rate, in arrival order', () => {
    const timers = new ManualTimers();
    const pacer = new HandshakePacer(10, 3, timers);
    const started: number[] = [];
    for (let i = 0; i < 8; i++) pacer.admit(fakeSocket('10.0.0.1'), () => started.push(i));
    expect(started).toEqual([0, 1, 2]);
    expect(pacer.waiting).toBe(5);
    timers.advance(100);
    expect(started).toEqual([0, 1, 2, 3]);
    timers.advance(250);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    timers.advance(1_000);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(pacer.waiting).toBe(0);
    expect(timers.pending).toBe(0);
  });

  it('keeps each address to its own allowance: another address is not held behind a greedy one', () => {
    const timers = new ManualTimers();
    const pacer = new HandshakePacer(10, 2, timers);
    const greedy: number[] = [];
    for (let i = 0; i < 50; i++) pacer.admit(fakeSocket('10.0.0.1'), () => greedy.push(i));
    let other = false;
    pacer.admit(fakeSocket('10.0.0.2'), () => (other = true));
    expect(other).toBe(true);
    expect(greedy).toHaveLength(2);
  });

  it('counts an IPv6 /48 as one client, and IPv4-mapped addresses as their IPv4 one', () => {
    const timers = new ManualTimers();
    const pacer = new HandshakePacer(10, 1, timers);
    let n = 0;
    pacer.admit(fakeSocket('2001:db8:1:1::5'), () => n++);
    pacer.admit(fakeSocket('2001:db8:1:2::7'), () => n++);
    pacer.admit(fakeSocket('10.0.0.9'), () => n++);
    pacer.admit(fakeSocket('::ffff:10.0.0.9'), () => n++);
    expect(n).toBe(2);
    expect(pacer.waiting).toBe(2);
  });

  it('drops a connection that closes while it waits, without spending its turn', () => {
    const timers = new ManualTimers();
    const pacer = new HandshakePacer(10, 1, timers);
    const started: string[] = [];
    pacer.admit(fakeSocket('10.0.0.1'), () => started.push('a'));
    const b = fakeSocket('10.0.0.1');
    pacer.admit(b, () => started.push('b'));
    pacer.admit(fakeSocket('10.0.0.1'), () => started.push('c'));
    b.close();
    expect(pacer.waiting).toBe(1);
    timers.advance(100);
    expect(started).toEqual(['a', 'c']);
  });

  it('skips a waiting connection destroyed without its close event yet, and takes no error listener away from it once started', () => {
    const timers = new ManualTimers();
    const pacer = new HandshakePacer(10, 1, timers);
    const started: string[] = [];
    pacer.admit(fakeSocket('10.0.0.1'), () => started.push('a'));
    const b = fakeSocket('10.0.0.1');
    pacer.admit(b, () => started.push('b'));
    const c = fakeSocket('10.0.0.1');
    pacer.admit(c, () => started.push('c'));
    // A reset while waiting is no uncaught error.
    expect(() => c.emit('error', new Error('ECONNRESET'))).not.toThrow();
    (b as unknown as { destroyed: boolean }).destroyed = true;
    timers.advance(100);
    expect(started).toEqual(['a', 'c']);
    expect(c.listenerCount('error')).toBe(0);
    expect(c.listenerCount('close')).toBe(0);
  });

  it('forgets addresses whose allowance is whole again', () => {
    const timers = new ManualTimers();
    const pacer = new HandshakePacer(1_000, 10, timers);
    for (let i = 0; i < 1023; i++) pacer.admit(fakeSocket(`10.1.${i >> 8}.${i & 255}`), () => {});
    expect((pacer as unknown as { allowances: Map<string, unknown> }).allowances.size).toBe(1023);
    timers.advance(1_000);
    pacer.admit(fakeSocket('10.2.0.1'), () => {});
    expect((pacer as unknown as { allowances: Map<string, unknown> }).allowances.size).toBe(1);
  });
});
