import { describe, expect, it } from 'vitest';
import { isAppError } from '../../domain/app-error.js';
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
const rows = (...ids: string[]) => ids.map((id) => ({ id }));

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

  it('reads PA<id> as after that row and PB<id> as before it', () => {
    const id = '6ad4c839-9329-43fe-83c6-fbe7c38583ff';
    expect(parsePageRequest({ page_number: '1', page_size: '10', page_token: `PA${id}` })).toEqual({ size: 10, number: 1, token: { direction: 'after', id } });
    expect(parsePageRequest({ page_number: '3', page_token: `PB${id}` }).token).toEqual({ direction: 'before', id });
  });

  it.each(['PC123', 'PA', 'pa123', 'XA123', 'PA12 3', `PA${'a'.repeat(65)}`, 'PAxyz'])('refuses the page token %j', (page_token) => {
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
  const seqs = new Map([['abc', 42]]);
  const seqOf = async (id: string) => seqs.get(id);

  it('fetches one row more than the page size, to know whether more follow', async () => {
    expect(await toSeqPage({ size: 10, number: 0, token: null }, seqOf)).toEqual({ limit: 11 });
  });

  it('pages older rows after a PA token and newer rows before a PB token', async () => {
    expect(await toSeqPage({ size: 10, number: 1, token: { direction: 'after', id: 'abc' } }, seqOf)).toEqual({ limit: 11, beforeSeq: 42 });
    expect(await toSeqPage({ size: 10, number: 1, token: { direction: 'before', id: 'abc' } }, seqOf)).toEqual({ limit: 11, afterSeq: 42 });
  });

  it('refuses a token naming a row it cannot find', async () => {
    await expect(toSeqPage({ size: 10, number: 1, token: { direction: 'after', id: 'def' } }, seqOf)).rejects.toSatisfy((e) => isAppError(e, 'PAGE_TOKEN_INVALID'));
  });
});

describe('finishPage', () => {
  const params = (u: string | undefined) => (u === undefined ? undefined : Object.fromEntries(new URL(u).searchParams));

  it('trims the extra row of a first page and links to the next one after its last row', () => {
    const req: PageRequest = { size: 2, number: 0, token: null };
    const { items, links } = finishPage(rows('c', 'b', 'a'), req, SELF);
    expect(items).toEqual(rows('c', 'b'));
    expect(links.self).toBe(SELF.toString());
    expect(params(links.first)).toEqual({ include_deleted: 'true', page_size: '2' });
    expect(params(links.next)).toEqual({ include_deleted: 'true', page_number: '1', page_size: '2', page_token: 'PAb' });
    expect(links.prev).toBeUndefined();
  });

  it('gives no next link on the last page', () => {
    const { items, links } = finishPage(rows('b', 'a'), { size: 2, number: 0, token: null }, SELF);
    expect(items).toEqual(rows('b', 'a'));
    expect(links.next).toBeUndefined();
  });

  it('links a second page back to the first page, without a token', () => {
    const { links } = finishPage(rows('b', 'a'), { size: 2, number: 1, token: { direction: 'after', id: 'c' } }, SELF);
    expect(params(links.prev)).toEqual({ include_deleted: 'true', page_number: '0', page_size: '2' });
    expect(links.next).toBeUndefined();
  });

  it('links later pages back with a PB token of their first row', () => {
    const { links } = finishPage(rows('d', 'c', 'b'), { size: 2, number: 3, token: { direction: 'after', id: 'e' } }, SELF);
    expect(params(links.prev)).toEqual({ include_deleted: 'true', page_number: '2', page_size: '2', page_token: 'PBd' });
    expect(params(links.next)).toEqual({ include_deleted: 'true', page_number: '4', page_size: '2', page_token: 'PAc' });
  });

  it('going back, drops the extra newest row and always offers the older page', () => {
    const { items, links } = finishPage(rows('f', 'e', 'd'), { size: 2, number: 2, token: { direction: 'before', id: 'c' } }, SELF);
    expect(items).toEqual(rows('e', 'd'));
    expect(params(links.next)?.page_token).toBe('PAd');
    expect(params(links.prev)).toEqual({ include_deleted: 'true', page_number: '1', page_size: '2', page_token: 'PBe' });
  });

  it('gives an empty page only self and first', () => {
    const { items, links } = finishPage([], { size: 2, number: 1, token: { direction: 'after', id: 'a' } }, SELF);
    expect(items).toEqual([]);
    expect(Object.keys(links).sort()).toEqual(['first', 'self']);
  });
});
