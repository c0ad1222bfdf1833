import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from './deadline-heap.js';

describe('DeadlineHeap', () => {
  it('gives the values due, earliest first, and keeps the rest', () => {
    const heap = new DeadlineHeap<number>();
    // A fixed shuffle of 0..999 (no randomness in tests): 7 is coprime with 1000.
    for (let i = 0; i < 1000; i++) heap.push((i * 7) % 1000, (i * 7) % 1000);
    expect(heap.popDue(-1)).toEqual([]);
    expect(heap.popDue(99)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(heap.size).toBe(900);
    heap.push(5, 5);
    expect(heap.popDue(100)).toEqual([5, 100]);
    expect(heap.popDue(Infinity)).toEqual(Array.from({ length: 899 }, (_, i) => i + 101));
    expect(heap.size).toBe(0);
  });

  it('gives values with the same deadline in the order pushed, tells the next deadline, and gives back what it held when cleared', () => {
    const heap = new DeadlineHeap<string>();
    expect(heap.nextAt).toBeUndefined();
    for (const [at, v] of [[20, 'a'], [10, 'b'], [20, 'c'], [10, 'd'], [20, 'e'], [30, 'f']] as const) heap.push(at, v);
    expect(heap.nextAt).toBe(10);
    expect(heap.popDue(20)).toEqual(['b', 'd', 'a', 'c', 'e']);
    expect(heap.nextAt).toBe(30);
    heap.push(40, 'g');
    expect(heap.clear().sort()).toEqual(['f', 'g']);
    expect(heap.size).toBe(0);
  });
});
