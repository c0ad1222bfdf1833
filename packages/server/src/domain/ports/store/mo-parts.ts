/**
 * The parts of multipart MOs an SMPP connector has acknowledged and holds until the rest come: kept
 * here before each part's deliver_sm_resp, so a restart (a kill -9 included) completes the message
 * with the parts the SMSC sends after it rather than losing those it was told were taken.
 */

/** One multipart MO being reassembled by the connector `carrier`. */
export interface MoPartGroup {
  readonly carrier: string;
  readonly from: string;
  readonly to: string;
  /** The concatenation reference and part count. */
  readonly reference: number;
  readonly total: number;
  /** When its first part came (ms): a reference reused by a later message is another message. */
  readonly firstAt: number;
}

/** One part of it. */
export interface MoPartRecord extends MoPartGroup {
  /** The part's number, from 1. */
  readonly seq: number;
  readonly text: string;
  readonly receivedAt: number;
}

export interface MoPartRepository {
  /** Keep parts; one already kept (the same message and number) is left as it is. */
  insertMany(parts: readonly MoPartRecord[]): Promise<void>;
  /** Forget every part of these messages (stored, or dropped). */
  deleteGroups(groups: readonly MoPartGroup[]): Promise<void>;
  /** The parts `carrier` keeps, oldest message first. */
  listForCarrier(carrier: string): Promise<MoPartRecord[]>;
}
