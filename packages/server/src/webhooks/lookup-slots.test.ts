import { lookup as dnsLookup } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { lookupSlots, type LookupAddress, type LookupSlotsOptions } from './lookup-slots.js';

/** A resolver under the test's control: each lookup waits until answered by name. */
function fakeResolver() {
  const pending = new Map<string, Array<(err: Error | null, addresses: LookupAddress[]) => void>>();
  const asked: string[] = [];
  return {
    asked,
    lookup(hostname: string, _o: { all: true }, cb: (err: Error | null, addresses: LookupAddress[]) => void) {
      asked.push(hostname);
      pending.set(hostname, [...(pending.get(hostname) ?? []), cb]);
    },
    answer(hostname: string, addresses: LookupAddress[] | Error) {
      const cbs = pending.get(hostname) ?? [];
      pending.delete(hostname);
      for (const cb of cbs) {
        if (addresses instanceof Error) cb(addresses, []);
        else cb(null, addresses);
      }
    },
  };
}

const V4 = [{ address: '192.0.2.1', family: 4 }];
const BOTH = [{ address: '2001:db8::1', family: 6 }, ...V4];

/** Names of the form `<anything>.<project>.example` belong to that project. */
const projectOfName = (hostname: string) => hostname.split('.').at(-2)!;

function setup(over: Partial<LookupSlotsOptions> = {}) {
  const r = fakeResolver();
  let t = 1_000;
  const lookup = lookupSlots(r.lookup, { slots: 2, maxWaiting: 3, ttlMs: 30_000, negativeTtlMs: 5_000, maxCached: 100, now: () => t, projectOf: projectOfName, ...over });
  const ask = (hostname: string, options: { family?: number; all?: boolean } = {}) =>
    new Promise<{ err: Error | null; address?: unknown; family?: number }>((resolve) => lookup(hostname, options, (err, address, family) => resolve({ err, address, family })));
  return { r, ask, advance: (ms: number) => void (t += ms) };
}

describe('lookupSlots', () => {
  it('runs at most `slots` lookups at once: a name that never answers holds one slot, not the others', async () => {
    const { r, ask } = setup();
    void ask('hangs.example');
    const b = ask('b.example');
    const c = ask('c.example');
    expect(r.asked).toEqual(['hangs.example', 'b.example']);
    r.answer('b.example', V4);
    expect(await b).toEqual({ err: null, address: '192.0.2.1', family: 4 });
    expect(r.asked).toEqual(['hangs.example', 'b.example', 'c.example']);
    r.answer('c.example', V4);
    expect((await c).address).toBe('192.0.2.1');
  });

  it('shares one lookup among the callers of a name, and keeps the answer for ttlMs', async () => {
    const { r, ask, advance } = setup();
    const first = ask('a.example');
    const second = ask('a.example', { all: true });
    r.answer('a.example', BOTH);
    expect(await first).toEqual({ err: null, address: '2001:db8::1', family: 6 });
    expect((await second).address).toEqual(BOTH);
    expect(await ask('a.example', { family: 4 })).toEqual({ err: null, address: '192.0.2.1', family: 4 });
    expect(r.asked).toEqual(['a.example']);
    advance(30_001);
    void ask('a.example');
    expect(r.asked).toEqual(['a.example', 'a.example']);
  });

  it('keeps a failure for negativeTtlMs, and answers ENOTFOUND when no address has the family asked', async () => {
    const { r, ask, advance } = setup();
    const failed = ask('gone.example');
    r.answer('gone.example', Object.assign(new Error('getaddrinfo ENOTFOUND gone.example'), { code: 'ENOTFOUND' }));
    expect((await failed).err).toMatchObject({ code: 'ENOTFOUND' });
    expect((await ask('gone.example')).err).toMatchObject({ code: 'ENOTFOUND' });
    expect(r.asked).toEqual(['gone.example']);
    advance(5_001);
    void ask('gone.example');
    expect(r.asked).toHaveLength(2);

    const v4only = ask('v4.example', { family: 6 });
    r.answer('v4.example', V4);
    expect((await v4only).err).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('fails a lookup at once (EAI_AGAIN) when maxWaiting already wait for a slot', async () => {
    const { r, ask } = setup({ slots: 1, maxWaiting: 2 });
    void ask('one.example');
    void ask('two.example');
    void ask('three.example');
    expect((await ask('four.example')).err).toMatchObject({ code: 'EAI_AGAIN' });
    expect(r.asked).toEqual(['one.example']);
  });

  it("gives a freed slot to another waiting project before the hanging project's next name", async () => {
    const { r, ask } = setup({ maxWaiting: 10 });
    // Project a: two receivers whose DNS hangs take both slots while nobody else waits, and more queue.
    void ask('hang1.a.example');
    void ask('hang2.a.example');
    void ask('next1.a.example');
    void ask('next2.a.example');
    const b = ask('hook.b.example');
    expect(r.asked).toEqual(['hang1.a.example', 'hang2.a.example']);
    // One of a's lookups ends: b's name goes next, not a's queue; a keeps one slot while b waits.
    r.answer('hang1.a.example', new Error('getaddrinfo EAI_AGAIN hang1.a.example'));
    expect(r.asked.at(-1)).toBe('hook.b.example');
    r.answer('hook.b.example', V4);
    expect((await b).address).toBe('192.0.2.1');
    // Nobody else waits: a's queue uses the freed slot.
    expect(r.asked.at(-1)).toBe('next1.a.example');
  });

  it('serves waiting projects in turn, one name each', async () => {
    const { r, ask } = setup({ slots: 1, maxWaiting: 10 });
    void ask('busy.x.example');
    for (const name of ['1.a.example', '2.a.example', '3.a.example', '1.b.example', '2.b.example', '1.c.example']) void ask(name);
    for (let i = 0; i < 6; i++) r.answer(r.asked.at(-1)!, V4);
    expect(r.asked).toEqual(['busy.x.example', '1.a.example', '1.b.example', '1.c.example', '2.a.example', '2.b.example', '3.a.example']);
  });

  it('works from its own source alone, as the webhook HTTP worker embeds it', async () => {
    const embedded = new Function(`return (${lookupSlots.toString()})`)() as typeof lookupSlots;
    const lookup = embedded(dnsLookup as never, { slots: 1, maxWaiting: 1, ttlMs: 1000, negativeTtlMs: 1000, maxCached: 10, now: Date.now });
    const answer = await new Promise<{ err: Error | null; address?: unknown }>((resolve) => lookup('localhost', { family: 4 }, (err, address) => resolve({ err, address })));
    expect(answer).toEqual({ err: null, address: '127.0.0.1' });
  });
});
