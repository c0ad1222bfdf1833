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

/** A repository holding what another process (the CLI) registers, counting the lookups. */
function repository() {
  const rows = new Map<string, PhoneNumberRecord>();
  let lookups = 0;
  const repo = { resolveOwner: async (n: string) => (lookups++, rows.get(n)) } as unknown as PhoneNumberRepository;
  return { repo, rows, lookups: () => lookups };
}

const registered = (number: string, projectId: string) => ({ number, projectId, capabilities: ['sms'] }) as unknown as PhoneNumberRecord;

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

  // `switchboard number add` writes from another process, which no bus message announces: a send
  // from the new number was refused for the cache's 10 s (for ever on a manual clock standing still).
  it('looks a sender up again when the cache says "not registered", and keeps caching destinations', async () => {
    const r = repository();
    const directory = new NumberDirectory(r.repo, new ManualClock(), new InProcessBus());
    expect(await directory.senderOwnedBy('p1', '+15551230031')).toBeNull();
    r.rows.set('+15551230031', registered('+15551230031', 'p1'));
    // A destination lookup still answers from the cache ...
    expect(await directory.owner('+15551230031')).toBeNull();
    // ... a sender's does not.
    expect(await directory.senderOwnedBy('p1', '+15551230031')).toMatchObject({ number: '+15551230031' });
    expect(await directory.senderOwnedBy('p2', '+15551230031')).toBeNull();
    // A known number is served from the cache.
    const before = r.lookups();
    expect(await directory.senderOwnedBy('p1', '+15551230031')).not.toBeNull();
    expect(r.lookups()).toBe(before);
  });
});
