import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../domain/clock.js';
import { storeFollowedBy } from './clock.js';

/** A repository whose calls take a database round trip (30 ms: far longer than the clock's quiet rounds below). */
class SlowThingRepository {
  calls = 0;
  async read(): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return ++this.calls;
  }
}

class FakeStore {
  readonly things = new SlowThingRepository();
  readonly db = { marker: true };
  async transaction<T>(work: (tx: { things: SlowThingRepository }) => Promise<T>): Promise<T> {
    return work({ things: this.things });
  }
}

describe('storeFollowedBy', () => {
  const quick = { quietRounds: 2, roundMs: 1, maxMs: 5_000, totalMs: 10_000 };

  it("makes an advance in steps wait for the store's round trips of the work a stop started", async () => {
    const clock = new ManualClock(0);
    const store = storeFollowedBy(new FakeStore(), clock);
    const seen: Array<[string, number]> = [];
    // A carrier's answer at 5 s is recorded (a round trip nobody tracks but the store), then arms the receipt 5 s on.
    clock.setTimer(5_000, () => {
      seen.push(['sent', clock.now()]);
      void store.things.read().then(() => clock.setTimer(clock.now() + 5_000, () => seen.push(['delivered', clock.now()])));
    });
    // The same through a transaction.
    clock.setTimer(20_000, () => void store.transaction(async (tx) => tx.things.read()).then(() => clock.setTimer(clock.now() + 1_000, () => seen.push(['after a transaction', clock.now()]))));
    expect(await clock.advanceInSteps(60_000, quick)).toBe(3 + 1);
    expect(seen).toEqual([
      ['sent', 5_000],
      ['delivered', 10_000],
      ['after a transaction', 21_000],
    ]);
  });

  it('leaves the store as it is on the wall clock, and other objects than repositories unwrapped', async () => {
    const plain = new FakeStore();
    expect(storeFollowedBy(plain, systemClock)).toBe(plain);
    const followed = storeFollowedBy(plain, new ManualClock(0));
    expect(followed.db).toBe(plain.db);
    expect(followed.things).toBe(followed.things);
    expect(await followed.things.read()).toBe(1);
    expect(plain.things.calls).toBe(1);
  });
});
