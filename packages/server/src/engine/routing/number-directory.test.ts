import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { ManualClock } from '../../domain/clock.js';
import type { PhoneNumberRepository } from '../../domain/ports/store.js';
import type { PhoneNumberRecord } from '../../domain/project.js';
import { NumberDirectory } from './number-directory.js';

const NUMBER = '+15551230077';
const record = (projectId: string) => ({ id: `${projectId}-n`, projectId, number: NUMBER }) as PhoneNumberRecord;

/** A repository whose owner lookups wait until the test lets each one answer. */
function slowNumbers() {
  let owner: PhoneNumberRecord | undefined = record('tenant-a');
  const waiting: Array<() => void> = [];
  const repo = {
    async resolveOwner() {
      const seen = owner;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return seen;
    },
  } as unknown as PhoneNumberRepository;
  return { repo, setOwner: (o: PhoneNumberRecord | undefined) => (owner = o), answerAll: () => waiting.splice(0).forEach((r) => r()) };
}

describe('NumberDirectory', () => {
  it('does not cache an owner read before the number changed hands (the new owner gets its inbound at once)', async () => {
    const numbers = slowNumbers();
    const bus = new InProcessBus();
    const directory = new NumberDirectory(numbers.repo, new ManualClock(0), bus);
    // A lookup reads tenant A as the owner; before it answers, A releases the number and B registers it.
    const stale = directory.owner(NUMBER);
    numbers.setOwner(record('tenant-b'));
    bus.publish('numbers.changed', { projectId: 'tenant-a' });
    bus.publish('numbers.changed', { projectId: 'tenant-b' });
    numbers.answerAll();
    expect((await stale)?.projectId).toBe('tenant-a');
    // The next lookup asks the store again instead of answering A for the rest of the TTL.
    const next = directory.owner(NUMBER);
    numbers.answerAll();
    expect((await next)?.projectId).toBe('tenant-b');
    expect(await directory.loopbackOwner(NUMBER, 'tenant-a')).toBeNull();
  });

  it('caches a lookup no change overtook', async () => {
    const numbers = slowNumbers();
    const directory = new NumberDirectory(numbers.repo, new ManualClock(0), new InProcessBus());
    const first = directory.owner(NUMBER);
    numbers.answerAll();
    expect((await first)?.projectId).toBe('tenant-a');
    numbers.setOwner(record('tenant-b'));
    // Answered from the cache: no lookup is left waiting.
    expect((await directory.owner(NUMBER))?.projectId).toBe('tenant-a');
  });
});
