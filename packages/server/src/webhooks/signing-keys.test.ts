import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../bus/in-process-bus.js';
import { ManualClock } from '../domain/clock.js';
import type { ProjectRepository } from '../domain/ports/store.js';
import { SigningKeys } from './signing-keys.js';

describe('SigningKeys', () => {
  it('does not cache a key read before the project’s key was replaced', async () => {
    let current = 'PSK_old';
    let answer!: () => void;
    const projects = {
      async get(id: string) {
        const seen = current;
        await new Promise<void>((resolve) => (answer = resolve));
        return { id, name: 'p', signingKey: seen, createdAt: 0 };
      },
    } as unknown as ProjectRepository;
    const bus = new InProcessBus();
    const keys = new SigningKeys(projects, new ManualClock(0), bus);
    const during = keys.get('p1');
    current = 'PSK_new';
    bus.publish('credentials.changed', { projectId: 'p1' });
    answer();
    expect(await during).toBe('PSK_old');
    // Read again: callbacks are not signed with the replaced key for the cache's lifetime.
    const after = keys.get('p1');
    answer();
    expect(await after).toBe('PSK_new');
  });
});
