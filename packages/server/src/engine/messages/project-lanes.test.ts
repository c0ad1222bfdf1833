import { describe, expect, it } from 'vitest';
import { ProjectLanes } from './project-lanes.js';

describe('ProjectLanes', () => {
  it('shares a take equally between projects, oldest first in each, and fills from those with more', () => {
    const q = new ProjectLanes<string>();
    for (let i = 0; i < 8; i++) q.push('a', `a${i}`);
    q.push('b', 'b0');
    q.push('c', 'c0');
    q.push('c', 'c1');
    expect(q.take(6)).toEqual(['a0', 'a1', 'b0', 'c0', 'c1', 'a2']);
    expect(q.size).toBe(5);
    expect(q.take(10)).toEqual(['a3', 'a4', 'a5', 'a6', 'a7']);
    expect(q.size).toBe(0);
    expect(q.take(3)).toEqual([]);
  });

  it('starts the next take with the projects the last one left waiting', () => {
    const q = new ProjectLanes<string>();
    for (const p of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) q.push(p, `${p}${i}`);
    expect(q.take(2)).toEqual(['a0', 'b0']);
    expect(q.take(2)).toEqual(['c0', 'a1']);
    expect(q.take(3)).toEqual(['b1', 'c1', 'a2']);
  });
});
