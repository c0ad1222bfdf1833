/** Keyset paging: rows strictly older (`beforeSeq`) or newer (`afterSeq`) than a cursor, newest first. */
export interface SeqPage {
  readonly limit: number;
  /** Return rows with seq < beforeSeq (next page, newest first). */
  readonly beforeSeq?: number;
  /** Return rows with seq > afterSeq (previous page), still ordered newest first. */
  readonly afterSeq?: number;
}

/**
 * A page read within a scan budget: the rows found, and where the scan stopped when the budget ran
 * out before the page was full (`resumeSeq`: the lowest `seq` examined going newest first, the
 * highest going oldest first). The next page continues from there; null when the scan reached the
 * end of the list or filled the page.
 */
export interface ScannedPage<T> {
  readonly rows: T[];
  readonly resumeSeq: number | null;
}
