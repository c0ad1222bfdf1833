import { describe, expect, it } from 'vitest';
import { isAppError } from '../../domain/app-error.js';
import type { PagedList } from '../../engine/page-tokens.js';
import { finishPage, parsePageRequest, toSeqPage, type PageRequest } from './paging.js';

function errorKey(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (isAppError(err)) return err.key;
    throw err;
  }
  return undefined;
}

const SELF = new URL('https://sb.example.com/api/messaging/logs?include_deleted=true&page_size=2');
const rows = (...seqs: number[]) => seqs.map((seq) => ({ seq }));
/** Seals a position as `x<seq>`; opens those, and the id abc at 42. */
const LIST: PagedList = {
  seal: (seq) => `x${seq}`,
  positionOf: async (t) => ('id' in t ? new Map([['abc', 42]]).get(t.id) : /^x\d+$/.test(t.sealed) ? Number(t.sealed.slice(1)) : undefined),
};
const after = (id: string) => ({ direction: 'after' as const, target: { id } });
const before = (id: string) => ({ direction: 'before' as const, target: { id } });

describe('parsePageRequest', () => {
  it('defaults to the first page of 50', () => {
    expect(parsePageRequest({})).toEqual({ size: 50, number: 0, token: null });
    expect(parsePageRequest({ page_size: '', page_number: '', page_token: '' })).toEqual({ size: 50, number: 0, token: null });
  });

  it('accepts page sizes from 1 to 1000', () => {
    expect(parsePageRequest({ page_size: '1' }).size).toBe(1);
    expect(parsePageRequest({ page_size: '1000' }).size).toBe(1000);
  });

  it.each(['0', '1001', '-1', '1.5', 'ten', ' 5'])('refuses page_size %j', (page_size) => {
    expect(errorKey(() => parsePageRequest({ page_size }))).toBe('PAGE_SIZE_INVALID');
  });

  it.each(['-1', 'x', '1e3'])('refuses page_number %j', (page_number) => {
    expect(errorKey(() => parsePageRequest({ page_number, page_token: 'PAabc' }))).toBe('PAGE_NUMBER_INVALID');
  });

  it('refuses non-string parameters, such as repeated ones', () => {
    expect(errorKey(() => parsePageRequest({ page_size: ['5', '6'] }))).toBe('PAGE_SIZE_INVALID');
    expect(errorKey(() => parsePageRequest({ page_token: ['PAabc'] }))).toBe('PAGE_TOKEN_INVALID');
  });

  it('requires a page token after the first page', () => {
    expect(errorKey(() => parsePageRequest({ page_number: '1' }))).toBe('PAGE_TOKEN_REQUIRED');
    expect(parsePageRequest({ page_number: '0' }).token).toBeNull();
  });

  it('reads PA<id> as after that row and PB<id> as before it (tokens issued before positions were sealed)', () => {
    const id = '6ad4c839-9329-43fe-83c6-fbe7c38583ff';
    expect(parsePageRequest({ page_number: '1', page_size: '10', page_token: `PA${id}` })).toEqual({ size: 10, number: 1, token: after(id) });
    expect(parsePageRequest({ page_number: '3', page_token: `PB${id}` }).token).toEqual(before(id));
  });

  it('reads PAS<sealed> and PBS<sealed> as a sealed position', () => {
    const sealed = 'Zm9vYmFyYmF6cXV4cXV1eA';
    expect(parsePageRequest({ page_number: '1', page_token: `PAS${sealed}` }).token).toEqual({ direction: 'after', target: { sealed } });
    expect(parsePageRequest({ page_number: '1', page_token: `PBS${sealed}` }).token).toEqual({ direction: 'before', target: { sealed } });
  });

  it.each(['PC123', 'PA', 'pa123', 'XA123', 'PA12 3', `PA${'a'.repeat(65)}`, 'PAxyz', 'PASabc', `PAS${'a'.repeat(23)}`])('refuses the page token %j', (page_token) => {
    expect(errorKey(() => parsePageRequest({ page_number: '1', page_token }))).toBe('PAGE_TOKEN_INVALID');
  });

  it('names the bad parameter in the error', () => {
    try {
      parsePageRequest({ page_size: '0' });
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.details[0]!.attribute).toBe('page_size');
    }
  });
});

describe('toSeqPage', () => {
  it('fetches one row more than the page size, to know whether more follow', async () => {
    expect(await toSeqPage({ size: 10, number: 0, token: null }, LIST)).toEqual({ limit: 11 });
  });

  it('pages older rows after a PA token and newer rows before a PB token', async () => {
    expect(await toSeqPage({ size: 10, number: 1, token: after('abc') }, LIST)).toEqual({ limit: 11, beforeSeq: 42 });
    expect(await toSeqPage({ size: 10, number: 1, token: before('abc') }, LIST)).toEqual({ limit: 11, afterSeq: 42 });
  });

  it('pages from a sealed position, which the list opens without looking the row up', async () => {
    expect(await toSeqPage({ size: 10, number: 1, token: { direction: 'after', target: { sealed: 'x7' } } }, LIST)).toEqual({ limit: 11, beforeSeq: 7 });
    await expect(toSeqPage({ size: 10, number: 1, token: { direction: 'after', target: { sealed: 'y7' } } }, LIST)).rejects.toSatisfy((e) => isAppError(e, 'PAGE_TOKEN_INVALID'));
  });

  it('refuses a token naming a row it cannot find', async () => {
    await expect(toSeqPage({ size: 10, number: 1, token: after('def') }, LIST)).rejects.toSatisfy((e) => isAppError(e, 'PAGE_TOKEN_INVALID'));
  });
});

describe('finishPage', () => {
  const params = (u: string | undefined) => (u === undefined ? undefined : Object.fromEntries(new URL(u).searchParams));

  it('trims the extra row of a first page and links to the next one after the position of its last row', () => {
    const req: PageRequest = { size: 2, number: 0, token: null };
    const { items, links } = finishPage(rows(3, 2, 1), req, SELF, LIST);
    expect(items).toEqual(rows(3, 2));
    expect(links.self).toBe(SELF.toString());
    expect(params(links.first)).toEqual({ include_deleted: 'true', page_size: '2' });
    expect(params(links.next)).toEqual({ include_deleted: 'true', page_number: '1', page_size: '2', page_token: 'PASx2' });
    expect(links.prev).toBeUndefined();
  });

  it('gives no next link on the last page', () => {
    const { items, links } = finishPage(rows(2, 1), { size: 2, number: 0, token: null }, SELF, LIST);
    expect(items).toEqual(rows(2, 1));
    expect(links.next).toBeUndefined();
  });

  it('links a second page back to the first page, without a token', () => {
    const { links } = finishPage(rows(2, 1), { size: 2, number: 1, token: after('c') }, SELF, LIST);
    expect(params(links.prev)).toEqual({ include_deleted: 'true', page_number: '0', page_size: '2' });
    expect(links.next).toBeUndefined();
  });

  it('links later pages back with a PB token at the position of their first row', () => {
    const { links } = finishPage(rows(4, 3, 2), { size: 2, number: 3, token: after('e') }, SELF, LIST);
    expect(params(links.prev)).toEqual({ include_deleted: 'true', page_number: '2', page_size: '2', page_token: 'PBSx4' });
    expect(params(links.next)).toEqual({ include_deleted: 'true', page_number: '4', page_size: '2', page_token: 'PASx3' });
  });

  it('going back, drops the extra newest row and always offers the older page', () => {
    const { items, links } = finishPage(rows(6, 5, 4), { size: 2, number: 2, token: before('c') }, SELF, LIST);
    expect(items).toEqual(rows(5, 4));
    expect(params(links.next)?.page_token).toBe('PASx4');
    expect(params(links.prev)).toEqual({ include_deleted: 'true', page_number: '1', page_size: '2', page_token: 'PBSx5' });
  });

  it('gives an empty page only self and first', () => {
    const { items, links } = finishPage([], { size: 2, number: 1, token: after('a') }, SELF, LIST);
    expect(items).toEqual([]);
    expect(Object.keys(links).sort()).toEqual(['first', 'self']);
  });
});
