import { describe, expect, it } from 'vitest';
import { ProjectSlots } from '../util/project-slots.js';

describe('ProjectSlots without a waiting room (lists)', () => {
  it("counts each project's lists on its own and forgets a project with none running", () => {
    const slots = new ProjectSlots(2, 0);
    const tryTake = (project: string) => slots.take(project) !== null;
    expect([tryTake('a'), tryTake('a'), tryTake('a')]).toEqual([true, true, false]);
    expect(tryTake('b')).toBe(true);
    slots.release('a');
    expect(tryTake('a')).toBe(true);
    slots.release('a');
    slots.release('a');
    slots.release('b');
    expect([slots.inProgress('a'), slots.inProgress('b')]).toEqual([0, 0]);
    expect((slots as unknown as { projects: Map<string, unknown> }).projects.size).toBe(0);
  });
});
