/** Keyset paging: rows strictly older (`beforeSeq`) or newer (`afterSeq`) than a cursor, newest first. */
export interface SeqPage {
  readonly limit: number;
  /** Return rows with seq < beforeSeq (next page, newest first). */
  readonly beforeSeq?: number;
  /** Return rows with seq > afterSeq (previous page), still ordered newest first. */
  readonly afterSeq?: number;
}
