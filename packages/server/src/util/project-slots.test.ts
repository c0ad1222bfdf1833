import { describe, expect, it } from 'vitest';
import { ProjectSlots } from './project-slots.js';

describe('ProjectSlots', () => {
  it('runs two at once per project, queues two more in order, refuses the next, and hands each freed slot on', async () => {
    const slots = new ProjectSlots(2);
    const started: string[] = [];
    const take = (name: string, project = 'p') => slots.take(project)?.then(() => void started.push(name)) ?? null;
    const turns = [take('a'), take('b'), take('c'), take('d')];
    expect(take('e')).toBeNull();
    expect(take('other', 'q')).not.toBeNull();
    await Promise.resolve();
    expect(started).toEqual(['a', 'b', 'other']);
    slots.release('p');
    await turns[2];
    expect(started).toEqual(['a', 'b', 'other', 'c']);
    slots.release('p');
    await turns[3];
    expect(started.at(-1)).toBe('d');
    // Two running, none waiting: the queue has room again.
    expect(take('f')).not.toBeNull();
    for (let i = 0; i < 5; i++) slots.release('p');
    expect((slots as unknown as { projects: Map<string, unknown> }).projects.has('p')).toBe(false);
  });

  it('queues as many as the caller allows (RELAY sends wait in a longer queue), then refuses', () => {
    const slots = new ProjectSlots(1);
    expect(slots.take('p')).not.toBeNull();
    const waiting = Array.from({ length: 5 }, () => slots.take('p', 5));
    expect(waiting.every((w) => w !== null)).toBe(true);
    expect(slots.take('p', 5)).toBeNull();
    expect(slots.take('p')).toBeNull();
  });
});
