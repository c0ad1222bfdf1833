/**
 * Receipts for an id the SMSC reused. SMSCs reuse message ids (a counter that wraps, or one that
 * starts again from 1 after a restart), so one carrier id may have the records of several parts,
 * perhaps of several projects sharing the connector. A receipt for such an id is tied to one of
 * them by its dates (`submit date:` and `done date:`, to the minute, in the SMSC's clock, read as
 * UTC plus `receiptDateOffsetMinutes`) against each part's record time (when its submit_sm_resp
 * came):
 * - a part recorded after the receipt's `done date` is never it;
 * - with a `submit date`, only a part recorded within that minute (give or take the clock skew) is;
 * - with no date (a TLV-only receipt) nothing tells them apart.
 * One part left: the receipt is its. None left: the receipt is for a part not recorded yet (its
 * submit_sm_resp still on its way) and waits as an early receipt. Several left: it is applied to
 * none (counted in `receipts_ambiguous`, logged once per connector) rather than to a guess.
 * An id with one record is matched to it without looking at dates, as before reuse was handled:
 * an SMSC's dates in another time zone than configured then still correlate.
 */
import type { CarrierPartOutcome, CarrierPartRecord } from '../../domain/ports/store.js';

/** A receipt's outcome before it is matched to a part: its carrier id and its dates (ms, to the minute, SMSC clock read as UTC). */
export interface ReceiptOutcome extends Omit<CarrierPartOutcome, 'messageId' | 'partIndex'> {
  readonly submitted?: number;
  readonly done?: number;
}

/** Clock difference allowed between the SMSC and this node, each way. */
export const RECEIPT_CLOCK_SKEW_MS = 120_000;
const MINUTE = 60_000;

export type ReceiptMatch = { readonly kind: 'part'; readonly part: CarrierPartRecord } | { readonly kind: 'none' } | { readonly kind: 'ambiguous'; readonly parts: number };

/** The part among `candidates` (the records of the receipt's carrier id) the receipt is for; `offsetMinutes` is `receiptDateOffsetMinutes`. */
export function matchReceipt(candidates: readonly CarrierPartRecord[], r: Pick<ReceiptOutcome, 'submitted' | 'done'>, offsetMinutes: number): ReceiptMatch {
  if (candidates.length === 0) return { kind: 'none' };
  if (candidates.length === 1) return { kind: 'part', part: candidates[0]! };
  const offset = offsetMinutes * MINUTE;
  const fits = candidates.filter((p) => {
    // The part's record time on the SMSC's clock; its dates are cut to the minute.
    const t = p.createdAt + offset;
    if (r.done !== undefined && t >= r.done + MINUTE + RECEIPT_CLOCK_SKEW_MS) return false;
    if (r.submitted !== undefined && (t < r.submitted - RECEIPT_CLOCK_SKEW_MS || t >= r.submitted + MINUTE + RECEIPT_CLOCK_SKEW_MS)) return false;
    return true;
  });
  if (fits.length === 1) return { kind: 'part', part: fits[0]! };
  return fits.length === 0 ? { kind: 'none' } : { kind: 'ambiguous', parts: fits.length };
}
