import { describe, expect, it } from 'vitest';
import { isUuid, TimeOrderedIds } from './ids.js';

describe('TimeOrderedIds', () => {
  it('makes version 7 UUIDs that sort by their millisecond', () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    let now = start;
    const ids = new TimeOrderedIds(() => now);
    const first = ids.uuid();
    now += 1;
    const second = ids.uuid();
    for (const id of [first, second]) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect(first.slice(0, 13) < second.slice(0, 13)).toBe(true);
    expect(first.replace(/-/g, '').slice(0, 12)).toBe(start.toString(16).padStart(12, '0'));
  });

  it('shows no count of the ids made between two of the same millisecond', () => {
    const ids = new TimeOrderedIds(() => 1_900_000_000_000);
    const fields = Array.from({ length: 64 }, () => parseInt(ids.uuid().slice(15, 18), 16));
    // A counter would read 0, 1, 2, …: random bits repeat that by chance with probability 2^-756.
    expect(fields.every((f, i) => i === 0 || f === fields[i - 1]! + 1)).toBe(false);
    expect(new Set(fields).size).toBeGreaterThan(32);
  });
});
