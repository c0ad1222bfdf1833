/**
 * Where the pages either side of one page of a newest-first list begin, for the native and the
 * Compatibility API's page links.
 *
 * A message list page is read within a scan budget (`MessageRepository.listScanned`): a filter
 * few messages match may stop before the page is full, even with no row, and say where it stopped
 * (`resumeSeq`). The next page then continues from there: its link exists although this page is
 * short or empty, and only the end of the list (or a full page with nothing after it) ends the
 * links. The official clients follow `next_page_uri` until it is null, across empty pages
 * (twilio-node's and @signalwire/compatibility-api's `each`/`list`).
 */
import type { SeqPage } from '../domain/ports/store.js';

/** The largest page number either API takes (its error message says so, both APIs alike). */
export const MAX_PAGE_NUMBER = 1_000_000_000;

/** How a page was read, for the lists read within a scan budget. */
export interface PageScan {
  /** The window the page was read with. */
  readonly page: SeqPage;
  /** Where the scan stopped before the page was full; null when it did not. */
  readonly resumeSeq: number | null;
}

/**
 * `older`: the position a next-page token names (the next page reads rows below it); `newer`: the
 * position a previous-page token names (rows above it); null where there is no such page. `items`
 * are the page's rows, newest first; `more`: a row beyond the page was found in its direction.
 */
export function pageEdges(items: ReadonlyArray<{ readonly seq: number }>, backwards: boolean, more: boolean, scan?: PageScan): { older: number | null; newer: number | null } {
  const first = items[0]?.seq;
  const last = items[items.length - 1]?.seq;
  const resume = scan?.resumeSeq ?? null;
  if (backwards) {
    // Going towards the newest: older rows always follow (the page the token came from).
    const afterSeq = scan?.page.afterSeq;
    const older = last ?? (afterSeq !== undefined ? afterSeq + 1 : null);
    return { older, newer: resume ?? first ?? null };
  }
  const beforeSeq = scan?.page.beforeSeq;
  return { older: more ? last! : resume, newer: first ?? (scan && beforeSeq !== undefined ? beforeSeq - 1 : null) };
}
