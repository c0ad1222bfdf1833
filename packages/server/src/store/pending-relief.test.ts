/** The parked session with the most appends waiting gives its budget back at once, and only one of the project asking. */
import { describe, expect, it } from 'vitest';
import { relievePending } from './pending-relief.js';

describe('relievePending', () => {
  const row = (protocol: string, projectId = 'p1') => ({ protocol, projectId, cost: 10 });

  it("takes out the rows of the project's session with the most, if more than asked, and gives their budget back", () => {
    const rows = [row('a'), row('b'), row('a'), row('c', 'p2'), row('c', 'p2'), row('c', 'p2'), row('a'), row('b')];
    const given: Array<[string, number]> = [];
    const budget = { give: (projectId: string, bytes: number) => void given.push([projectId, bytes]) };
    expect(relievePending(rows, 'p1', 3, budget)).toBeUndefined();
    expect(rows).toHaveLength(8);
    expect(relievePending(rows, 'p1', 2, budget)).toBe('a');
    expect(rows.map((r) => r.protocol)).toEqual(['b', 'c', 'c', 'c', 'b']);
    expect(given).toEqual([['p1', 30]]);
  });
});
