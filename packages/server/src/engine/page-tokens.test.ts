import { describe, expect, it } from 'vitest';
import type { ServerKeyRepository } from '../domain/ports/store.js';
import { PageTokens } from './page-tokens.js';

/** One stored key per name, as the table keeps it: the first writer wins. */
function memoryKeys(): ServerKeyRepository & { reads: number; fail: boolean } {
  const stored = new Map<string, string>();
  return {
    reads: 0,
    fail: false,
    async getOrCreate(name, candidate) {
      this.reads++;
      if (this.fail) throw new Error('database unreachable');
      if (!stored.has(name)) stored.set(name, candidate);
      return stored.get(name)!;
    },
  };
}

const clock = { now: () => 0 };
const P1 = 'a1a1a1a1-0000-4000-8000-000000000001';
const P2 = 'b2b2b2b2-0000-4000-8000-000000000002';
const noRecord = async () => undefined;

describe('PageTokens', () => {
  it('opens the position it sealed, in the same list of the same project, on any node sharing the key', async () => {
    const keys = memoryKeys();
    const sealed = (await new PageTokens({ keys, clock }).list(P1, 'cxml_applications', noRecord)).seal(123_456);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const otherNode = await new PageTokens({ keys, clock }).list(P1, 'cxml_applications', noRecord);
    expect(await otherNode.positionOf({ sealed })).toBe(123_456);
  });

  it('shows no sequence number: nearby positions seal to unrelated tokens', async () => {
    const list = await new PageTokens({ keys: memoryKeys(), clock }).list(P1, 'messages', noRecord);
    const a = list.seal(1000);
    const b = list.seal(1001);
    expect(a).not.toBe(b);
    expect(a).not.toContain('1000');
    const common = [...a].filter((c, i) => b[i] === c).length;
    expect(common).toBeLessThan(10);
  });

  it("refuses a token of another project or list, one altered, or one sealed with another server's key", async () => {
    const keys = memoryKeys();
    const tokens = new PageTokens({ keys, clock });
    const sealed = (await tokens.list(P1, 'media:m1', noRecord)).seal(77);
    expect(await (await tokens.list(P2, 'media:m1', noRecord)).positionOf({ sealed })).toBeUndefined();
    expect(await (await tokens.list(P1, 'media:m2', noRecord)).positionOf({ sealed })).toBeUndefined();
    const own = await tokens.list(P1, 'media:m1', noRecord);
    const altered = (sealed[0] === 'A' ? 'B' : 'A') + sealed.slice(1);
    expect(await own.positionOf({ sealed: altered })).toBeUndefined();
    expect(await own.positionOf({ sealed: 'not a token' })).toBeUndefined();
    const elsewhere = await new PageTokens({ keys: memoryKeys(), clock }).list(P1, 'media:m1', noRecord);
    expect(await elsewhere.positionOf({ sealed })).toBeUndefined();
  });

  it('finds the position of a token naming a record by id (issued before) through the list', async () => {
    const list = await new PageTokens({ keys: memoryKeys(), clock }).list(P1, 'opt_outs', async (id) => (id === 'r1' ? 9 : undefined));
    expect(await list.positionOf({ id: 'r1' })).toBe(9);
    expect(await list.positionOf({ id: 'r2' })).toBeUndefined();
  });

  it('reads the key once, and again after storage failed to give it', async () => {
    const keys = memoryKeys();
    const tokens = new PageTokens({ keys, clock });
    keys.fail = true;
    await expect(tokens.list(P1, 'messages', noRecord)).rejects.toThrow('database unreachable');
    keys.fail = false;
    await tokens.list(P1, 'messages', noRecord);
    await tokens.list(P2, 'phone_numbers', noRecord);
    expect(keys.reads).toBe(2);
  });
});
