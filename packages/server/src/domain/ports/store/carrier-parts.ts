/** Where one part of a message stands at a carrier that answers per part (SMPP). */
export type CarrierPartStatus = 'sent' | 'delivered' | 'undelivered';

/**
 * One part of a message as a carrier accepted it, found by the carrier's (normalised) message id.
 * Keyed by that id with the message and part: carriers reuse ids, and every record is kept (the
 * receipt ledger chooses among the records of an id by the receipt's dates).
 */
export interface CarrierPartRecord {
  readonly carrier: string;
  /** The carrier's message id in the connector's canonical (normalised) form. */
  readonly carrierMessageId: string;
  readonly projectId: string;
  readonly messageId: string;
  /** 1-based part number. */
  readonly partIndex: number;
  readonly partCount: number;
  readonly status: CarrierPartStatus;
  /** Catalogue error key of a failed part. */
  readonly error: string | null;
  /** The carrier's own words about a failed part. */
  readonly errorDetail: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A part's final outcome from a receipt (or a query_sm answer), for the part it was matched to. */
export interface CarrierPartOutcome {
  readonly carrierMessageId: string;
  /** The part it is for: several parts may have had the same carrier id. */
  readonly messageId: string;
  readonly partIndex: number;
  readonly status: Exclude<CarrierPartStatus, 'sent'>;
  readonly error: string | null;
  readonly errorDetail: string | null;
  readonly at: number;
}

/** Parts of messages handed to per-part carriers, for receipt correlation across restarts. */
export interface CarrierPartRepository {
  /** Record accepted parts; a part recorded again replaces its record, other parts' records of a reused id are kept. */
  insertMany(parts: readonly CarrierPartRecord[]): Promise<void>;
  /** Engine internal, all projects (receipts carry no project): parts by carrier id, every record of a reused id. */
  findByCarrierIds(carrier: string, carrierMessageIds: readonly string[]): Promise<CarrierPartRecord[]>;
  /** Engine internal: apply receipt outcomes to their parts (carrier id, message, part) still `sent`; returns the parts that changed. */
  applyOutcomes(carrier: string, outcomes: readonly CarrierPartOutcome[]): Promise<CarrierPartRecord[]>;
  /** Engine internal: every part of the given messages (to apply a receipt policy). */
  listForMessages(messageIds: readonly string[]): Promise<CarrierPartRecord[]>;
  /** The parts of one message, in part order. */
  listForMessage(projectId: string, messageId: string): Promise<CarrierPartRecord[]>;
  /** Forget at most `limit` of `carrier`'s parts created before `before` (ms), oldest first; returns how many. */
  pruneOlderThan(carrier: string, before: number, limit: number): Promise<number>;
}
