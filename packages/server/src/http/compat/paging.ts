/**
 * Compatibility API paging (rest-apis §B.4): `Page` (from 0), `PageSize` (1–1000, default 50) and,
 * from page 1 on, a `PageToken` (`PA…` = the page after a position, `PB…` = the page before it).
 * The page URIs carry the position itself, sealed (`PAS<sealed>`, engine/page-tokens.ts), so the
 * next page follows even when the record that ended a page was deleted meanwhile (the clean-up
 * `client.applications.each(a => a.remove())`); a token naming a record (`PA<sid>`, issued before)
 * still works while that record exists. The envelope has the paging keys and exactly one record key, and every URI uses the
 * documented `/api/laml/2010-04-01` prefix — so an SDK that started on `/2010-04-01` follows
 * `next_page_uri` there.
 */
import type { CompatPageMeta } from '@switchboard/protocol';
import { AppError, detail } from '../../domain/app-error.js';
import { preview } from '../../domain/preview.js';
import type { SeqPage } from '../../domain/ports/store.js';
import type { PagedList, PageTokenTarget } from '../../engine/page-tokens.js';
import { MAX_PAGE_NUMBER, pageEdges, type PageScan } from '../page-edges.js';
import { checkParamNames, givenOnceMessage } from '../query-params.js';

export interface CompatPageRequest {
  readonly size: number;
  readonly page: number;
  readonly token: { readonly direction: 'after' | 'before'; readonly target: PageTokenTarget; readonly text: string } | null;
}

const PAGING_KEYS = new Set(['Page', 'PageSize', 'PageToken']);
/** The error of each paging parameter (a value given twice is refused with its parameter's own code). */
const PAGING_ERRORS = { PageSize: 'PAGE_SIZE_INVALID', Page: 'PAGE_NUMBER_INVALID', PageToken: 'PAGE_TOKEN_INVALID' } as const;
const MAX_PAGE_SIZE = 1000;
const TOKEN = /^P([AB])(?:S([A-Za-z0-9_-]{22})|([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))$/;

function wholeNumber(raw: unknown, min: number, max: number): number | undefined {
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw >= min && raw <= max ? raw : undefined;
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= min && n <= max ? n : undefined;
}

/**
 * A PageSize: a whole number of 1 or more, however many digits (twilio-node sends the `limit` of
 * `list({ limit: Number.MAX_SAFE_INTEGER })` as it is), as the page size it gets (at most 1000).
 */
function pageSizeParam(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 1 ? Math.min(raw, MAX_PAGE_SIZE) : undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !/[1-9]/.test(raw)) return undefined;
  return Math.min(Number(raw), MAX_PAGE_SIZE);
}

/**
 * Refuse a query parameter the list does not know, naming the closest known one: a misspelt filter
 * (`status=` for `Status=`) would otherwise be ignored and the whole list returned. Twilio's names
 * are case-sensitive, so a name that differs only in case is refused too.
 */
export function checkCompatFilterNames(query: Record<string, unknown>, filters: readonly string[]): void {
  checkParamNames(query, [...filters, ...PAGING_KEYS]);
}

/** Read and check the paging parameters; with `filters` (the list's filter names), refuse any other parameter. */
export function parseCompatPage(query: Record<string, unknown>, filters?: readonly string[]): CompatPageRequest {
  if (filters) checkCompatFilterNames(query, filters);
  let size = 50;
  for (const name of ['PageSize', 'Page', 'PageToken'] as const) {
    if (Array.isArray(query[name])) throw new AppError(detail(PAGING_ERRORS[name], { attribute: name, message: givenOnceMessage(name) }));
  }
  if (query.PageSize !== undefined && query.PageSize !== '') {
    const n = pageSizeParam(query.PageSize);
    if (n === undefined) throw new AppError(detail('PAGE_SIZE_INVALID', { attribute: 'PageSize', message: `PageSize must be a whole number of 1 or more; pages hold at most 1000 (got ${preview(query.PageSize)}).` }));
    // A larger PageSize gets pages of 1000: given only a `limit`, twilio-node and
    // @signalwire/compatibility-api send it as the PageSize (`Version.readLimits`), so
    // `messages.list({ limit: 5000 })` asks for PageSize=5000 (Twilio serves `list(limit: 10_000)`,
    // github.com/twilio/twilio-ruby/issues/494).
    size = n;
  }
  let page = 0;
  if (query.Page !== undefined && query.Page !== '') {
    const n = wholeNumber(query.Page, 0, MAX_PAGE_NUMBER);
    if (n === undefined) throw new AppError(detail('PAGE_NUMBER_INVALID', { attribute: 'Page', message: `Page must be a whole number from 0 to ${MAX_PAGE_NUMBER} (got ${preview(query.Page)}).` }));
    page = n;
  }
  const raw = query.PageToken;
  if (raw === undefined || raw === '') {
    if (page > 0) throw new AppError(detail('PAGE_TOKEN_REQUIRED', { attribute: 'PageToken', message: 'A PageToken is required for Page greater than 0; follow next_page_uri.' }));
    return { size, page, token: null };
  }
  const m = typeof raw === 'string' ? TOKEN.exec(raw) : null;
  if (!m) throw new AppError(detail('PAGE_TOKEN_INVALID', { attribute: 'PageToken', message: 'The PageToken is not valid.' }));
  const target = m[2] !== undefined ? { sealed: m[2] } : { id: m[3]!.toLowerCase() };
  return { size, page, token: { direction: m[1] === 'A' ? 'after' : 'before', target, text: `P${m[1]}${'sealed' in target ? `S${target.sealed}` : target.id}` } };
}

/**
 * The keyset window for a request. `order` says how the list runs: newest first (messages,
 * applications) or oldest first (media). The extra row fetched tells whether more follow.
 */
export async function compatSeqPage(req: CompatPageRequest, order: 'newest-first' | 'oldest-first', list: PagedList): Promise<SeqPage> {
  if (!req.token) return { limit: req.size + 1 };
  const seq = await list.positionOf(req.token.target);
  if (seq === undefined) throw new AppError(detail('PAGE_TOKEN_INVALID', { attribute: 'PageToken', message: 'The PageToken does not name a record of this list.' }));
  const forward = req.token.direction === 'after';
  if (order === 'newest-first') return forward ? { limit: req.size + 1, beforeSeq: seq } : { limit: req.size + 1, afterSeq: seq };
  return forward ? { limit: req.size + 1, afterSeq: seq } : { limit: req.size + 1, beforeSeq: seq };
}

/** The query parameters other than paging, to carry into every page URI. */
export function filterParams(query: Record<string, unknown>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (PAGING_KEYS.has(k)) continue;
    for (const value of Array.isArray(v) ? v : [v]) if (typeof value === 'string') out.append(k, value);
  }
  return out;
}

/**
 * Trim the extra row and build the paging keys. `path` is the list's URI path (with `.json`).
 * `scan`: how a message list page was read within its scan budget (`page-edges.ts`): a short or
 * empty page still has a `next_page_uri` when the scan stopped before the end of the list.
 */
export function compatPage<T extends { seq: number }>(rows: T[], req: CompatPageRequest, path: string, filters: URLSearchParams, list: PagedList, scan?: PageScan): { items: T[]; meta: CompatPageMeta } {
  const backwards = req.token?.direction === 'before';
  const more = rows.length > req.size;
  const items = more ? (backwards ? rows.slice(1) : rows.slice(0, req.size)) : rows;
  const uri = (page: number, token: string | null) => {
    const q = new URLSearchParams(filters);
    q.set('Page', String(page));
    q.set('PageSize', String(req.size));
    if (token) q.set('PageToken', token);
    return `${path}?${q.toString()}`;
  };
  const { older, newer } = pageEdges(items, backwards, more, scan);
  // Going back, a page the scan budget cut short has newer rows still to look at, whatever its
  // number: the windows are cut from the other end, so the walk back can take more pages than the
  // walk forward did, and stopping at Page=0 would skip the newest matches.
  const cutGoingBack = backwards && scan?.resumeSeq != null;
  const start = req.page * req.size;
  return {
    items,
    meta: {
      uri: uri(req.page, req.token?.text ?? null),
      first_page_uri: uri(0, null),
      next_page_uri: older !== null ? uri(req.page + 1, `PAS${list.seal(older)}`) : null,
      // Back to page 0 too with a token, as Twilio writes it (`Page=0&PageToken=PB…`): the page before
      // this one's first record, not the list's head, which may have moved on since.
      previous_page_uri: (req.page > 0 || cutGoingBack) && newer !== null ? uri(Math.max(0, req.page - 1), `PBS${list.seal(newer)}`) : null,
      page: req.page,
      page_size: req.size,
      start,
      end: items.length ? start + items.length - 1 : start,
    },
  };
}
