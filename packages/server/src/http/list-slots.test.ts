import { describe, expect, it } from 'vitest';
import { ListSlots } from './list-slots.js';

describe('ListSlots', () => {
  it("counts each project's lists on its own and forgets a project with none running", () => {
    const slots = new ListSlots(2);
    expect([slots.tryTake('a'), slots.tryTake('a'), slots.tryTake('a')]).toEqual([true, true, false]);
    expect(slots.tryTake('b')).toBe(true);
    slots.release('a');
    expect(slots.tryTake('a')).toBe(true);
    slots.release('a');
    slots.release('a');
    slots.release('b');
    expect([slots.inProgress('a'), slots.inProgress('b')]).toEqual([0, 0]);
    expect((slots as unknown as { running: Map<string, number> }).running.size).toBe(0);
  });
});
