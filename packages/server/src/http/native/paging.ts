/**
 * Native page-token paging (rest-apis §A.3): `page_size` 1–1000 (default 50), `page_number` ≥ 0,
 * and from page 1 on a `page_token` (`PA…` = after a position, `PB…` = before it). Links are
 * absolute; `next`/`prev` only when such a page exists. The links carry the position itself, sealed
 * (`PAS<sealed>`, engine/page-tokens.ts), so the next page follows even when the record that
 * ended a page was deleted meanwhile; a token naming a record (`PA<id>`, issued before) still
 * works while that record exists.
 */
import type { PageLinks } from '@switchboard/protocol';
import { AppError, detail } from '../../domain/app-error.js';
import type { SeqPage } from '../../domain/ports/store.js';
import type { PagedList, PageTokenTarget } from '../../engine/page-tokens.js';
import { MAX_PAGE_NUMBER, pageEdges, type PageScan } from '../page-edges.js';
import { checkParamNames, givenOnceMessage } from '../query-params.js';

/** The paging parameters every native list takes. */
export const PAGING_PARAMS = ['page_size', 'page_number', 'page_token'] as const;

/**
 * Refuse a query parameter the list does not know (a misspelt filter would otherwise be ignored
 * and the whole list returned), naming the closest known one and all of them.
 */
export function checkQueryNames(query: Record<string, unknown>, filters: readonly string[]): void {
  checkParamNames(query, [...filters, ...PAGING_PARAMS]);
}

export interface PageRequest {
  readonly size: number;
  readonly number: number;
  readonly token: { readonly direction: 'after' | 'before'; readonly target: PageTokenTarget } | null;
}

function intParam(raw: unknown, name: string, min: number, max: number, fallback: number, key: 'PAGE_SIZE_INVALID' | 'PAGE_NUMBER_INVALID'): number {
  if (raw === undefined || raw === '') return fallback;
  if (Array.isArray(raw)) throw new AppError(detail(key, { attribute: name, message: givenOnceMessage(name) }));
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new AppError(detail(key, { attribute: name }));
  }
  return Number(raw);
}

/** Read and check the paging query parameters. */
export function parsePageRequest(query: Record<string, unknown>): PageRequest {
  const size = intParam(query.page_size, 'page_size', 1, 1000, 50, 'PAGE_SIZE_INVALID');
  const number = intParam(query.page_number, 'page_number', 0, MAX_PAGE_NUMBER, 0, 'PAGE_NUMBER_INVALID');
  const raw = query.page_token;
  if (raw === undefined || raw === '') {
    if (number > 0) throw AppError.of('PAGE_TOKEN_REQUIRED');
    return { size, number, token: null };
  }
  if (Array.isArray(raw)) throw new AppError(detail('PAGE_TOKEN_INVALID', { attribute: 'page_token', message: givenOnceMessage('page_token') }));
  // `S` is not a hex digit: a sealed position (PAS…) cannot be read as a record id (PA<id>).
  const m = typeof raw === 'string' ? /^P([AB])(?:S([A-Za-z0-9_-]{22})|([0-9a-fA-F-]{1,64}))$/.exec(raw) : null;
  if (!m) throw AppError.of('PAGE_TOKEN_INVALID');
  return { size, number, token: { direction: m[1] === 'A' ? 'after' : 'before', target: m[2] !== undefined ? { sealed: m[2] } : { id: m[3]! } } };
}

/** Resolve the token to a keyset cursor: the position it names in `list`. */
export async function toSeqPage(req: PageRequest, list: PagedList): Promise<SeqPage> {
  if (!req.token) return { limit: req.size + 1 };
  const seq = await list.positionOf(req.token.target);
  if (seq === undefined) throw AppError.of('PAGE_TOKEN_INVALID');
  return req.token.direction === 'after' ? { limit: req.size + 1, beforeSeq: seq } : { limit: req.size + 1, afterSeq: seq };
}

/**
 * Trim the extra row fetched to detect more pages, and build the links. `scan`: how a message list
 * page was read within its scan budget (`page-edges.ts`): a short or empty page still links to
 * the next one when the scan stopped before the end of the list.
 */
export function finishPage<T extends { seq: number }>(rows: T[], req: PageRequest, selfUrl: URL, list: PagedList, scan?: PageScan): { items: T[]; links: PageLinks } {
  const backwards = req.token?.direction === 'before';
  const more = rows.length > req.size;
  // Going backwards the extra row is the newest one (first); otherwise the oldest (last).
  const items = more ? (backwards ? rows.slice(1) : rows.slice(0, req.size)) : rows;
  const link = (number: number | null, token: string | null) => {
    const u = new URL(selfUrl);
    for (const k of ['page_number', 'page_size', 'page_token']) u.searchParams.delete(k);
    if (number !== null) u.searchParams.set('page_number', String(number));
    u.searchParams.set('page_size', String(req.size));
    if (token) u.searchParams.set('page_token', token);
    return u.toString();
  };
  const links: PageLinks = { self: selfUrl.toString(), first: link(null, null) };
  const { older, newer } = pageEdges(items, backwards, more, scan);
  if (older !== null) links.next = link(req.number + 1, `PAS${list.seal(older)}`);
  if (req.number > 0 && newer !== null) links.prev = req.number === 1 ? link(0, null) : link(req.number - 1, `PBS${list.seal(newer)}`);
  return { items, links };
}
