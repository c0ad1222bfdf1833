/** Where the console places rows arriving live, by creation time (the server's order is not shown). */
import { describe, expect, it } from 'vitest';
import { placeNewestFirst, placeOldestFirst } from '../src/order.js';

const at = (r: { id: string; at: string }) => r.at;
const row = (id: string, ms: number) => ({ id, at: new Date(Date.UTC(2026, 11, 6, 10, 0, 0, ms)).toISOString() });

describe('placing rows that arrive live', () => {
  it('puts a new row newest first before every row created at or before it, leaving the others where they were', () => {
    const shown = [row('c', 30), row('b', 20), row('a', 10)];
    expect(placeNewestFirst(shown, [row('d', 40)], at).map((r) => r.id)).toEqual(['d', 'c', 'b', 'a']);
    // Same millisecond as the newest: the one arriving is the newer.
    expect(placeNewestFirst(shown, [row('d', 30)], at).map((r) => r.id)).toEqual(['d', 'c', 'b', 'a']);
    // Created earlier (a handset's message stored late): among the rows of its time.
    expect(placeNewestFirst(shown, [row('e', 15)], at).map((r) => r.id)).toEqual(['c', 'b', 'e', 'a']);
    expect(placeNewestFirst(shown, [row('f', 5)], at).map((r) => r.id)).toEqual(['c', 'b', 'a', 'f']);
    expect(shown.map((r) => r.id)).toEqual(['c', 'b', 'a']);
  });

  it('puts a new row oldest first after every row created at or before it', () => {
    const shown = [row('a', 10), row('b', 20), row('c', 30)];
    expect(placeOldestFirst(shown, [row('d', 30), row('e', 15)], at).map((r) => r.id)).toEqual(['a', 'e', 'b', 'c', 'd']);
    expect(placeOldestFirst([], [row('a', 10)], at).map((r) => r.id)).toEqual(['a']);
  });
});
