/**
 * The receipts the simulator's SMSC owes: one row per message it accepted whose delivery receipt
 * no ESME has acknowledged yet. A real SMSC keeps them on disk; kept here, a restarted server
 * (a kill -9 included) sends them still, and answers `query_sm` for those messages.
 */

/** One receipt owed, by the SMSC listening at `smsc` (its configured address). */
export interface SmscReceiptRecord {
  readonly smsc: string;
  /** The SMSC's message number (its ids are this number in decimal or hex). */
  readonly seq: number;
  /** The account (system_id) the receipt goes to. */
  readonly systemId: string;
  /** The submit_sm's source_addr, which a query_sm must name. */
  readonly sourceAddr: string;
  /** The simulator's outcome for the message, as JSON. */
  readonly outcome: string;
  /** When the message is delivered and its receipt due (ms). */
  readonly dueAt: number;
  /** The receipt: a deliver_sm encoded with sequence number 0. */
  readonly receipt: Buffer;
  readonly createdAt: number;
}

export interface SmscReceiptRepository {
  /** Record receipts owed; one already recorded is left as it is. */
  insertMany(rows: readonly SmscReceiptRecord[]): Promise<void>;
  /** Forget the receipts of `seqs` (acknowledged, or given up). */
  deleteMany(smsc: string, seqs: readonly number[]): Promise<void>;
  /** The receipts `smsc` owes with a number above `afterSeq`, in number order, at most `limit`. */
  listOwed(smsc: string, afterSeq: number, limit: number): Promise<SmscReceiptRecord[]>;
}
