/**
 * SMSC answers mapped onto the error catalogue. `submit_sm_resp` statuses decide between retry
 * (throttling, transient SMSC trouble) and a permanent rejection with a catalogue error; receipt
 * `err:` codes (GSM MAP error numbers, as most SMSCs write them) pick the undelivered reason.
 * Connectors can extend both tables in their configuration.
 */
import type { ErrorKey } from '@switchboard/protocol';
import type { ParsedReceipt } from './receipt.js';
import { STATUS } from './pdu/constants.js';

/** What to do about a non-zero submit_sm_resp status. */
export type SubmitStatusClass = { readonly kind: 'throttle' } | { readonly kind: 'transient' } | { readonly kind: 'reject'; readonly error: ErrorKey };

/** Statuses that mean "slow down": the part is queued again and the connector backs off. */
const THROTTLE = new Set<number>([STATUS.ESME_RTHROTTLED, STATUS.ESME_RMSGQFUL]);

/** Statuses worth retrying as they are (SMSC-side trouble, not the message). */
const TRANSIENT = new Set<number>([STATUS.ESME_RSYSERR, STATUS.ESME_RX_T_APPN, STATUS.ESME_RINVBNDSTS, STATUS.ESME_RUNKNOWNERR]);

/** Permanent rejections with a specific meaning; any other status is UNKNOWN_DELIVERY_ERROR. */
export const SUBMIT_STATUS_ERRORS: ReadonlyMap<number, ErrorKey> = new Map<number, ErrorKey>([
  [STATUS.ESME_RINVDSTADR, 'UNROUTABLE'],
  [STATUS.ESME_RINVDSTTON, 'UNROUTABLE'],
  [STATUS.ESME_RINVDSTNPI, 'UNROUTABLE'],
  // "ESME receiver reject": the receiving side refused the content.
  [STATUS.ESME_RX_R_APPN, 'CARRIER_VIOLATION'],
  [STATUS.ESME_RINVEXPIRY, 'VALIDITY_EXPIRED_AT_CARRIER'],
  [STATUS.ESME_RDELIVERYFAILURE, 'UNKNOWN_DELIVERY_ERROR'],
]);

/** Classify a submit_sm_resp status; `overrides` (status → error) come from the connector config. */
export function classifySubmitStatus(status: number, overrides: ReadonlyMap<number, ErrorKey>): SubmitStatusClass {
  const o = overrides.get(status);
  if (o) return { kind: 'reject', error: o };
  if (THROTTLE.has(status)) return { kind: 'throttle' };
  if (TRANSIENT.has(status)) return { kind: 'transient' };
  return { kind: 'reject', error: SUBMIT_STATUS_ERRORS.get(status) ?? 'UNKNOWN_DELIVERY_ERROR' };
}

/** Receipt `err:` codes (GSM MAP errors, 3 digits) and their meaning. */
export const RECEIPT_ERRORS: ReadonlyMap<string, ErrorKey> = new Map<string, ErrorKey>([
  ['001', 'HANDSET_UNKNOWN'], // unknownSubscriber
  ['005', 'HANDSET_UNKNOWN'], // unidentifiedSubscriber
  ['006', 'HANDSET_UNREACHABLE'], // absentSubscriberSM
  ['009', 'CARRIER_BLOCKED'], // illegalSubscriber
  ['011', 'UNROUTABLE'], // teleserviceNotProvisioned
  ['012', 'HANDSET_UNREACHABLE'], // illegalEquipment
  ['013', 'CARRIER_BLOCKED'], // callBarred
  ['021', 'UNROUTABLE'], // facilityNotSupported
  ['027', 'HANDSET_UNREACHABLE'], // absentSubscriber
  ['031', 'HANDSET_UNREACHABLE'], // subscriberBusyForMT-SMS
  ['032', 'HANDSET_UNREACHABLE'], // sm-DeliveryFailure
  ['034', 'UNKNOWN_DELIVERY_ERROR'], // systemFailure
]);

/** The receipt err code the simulator's SMSC writes for a catalogue error (reverse of the table). */
export function receiptErrFor(error: ErrorKey): string {
  for (const [code, key] of RECEIPT_ERRORS) if (key === error) return code;
  return '034';
}

/** The submit status the simulator's SMSC answers for a catalogue error (reverse of the table). */
export function submitStatusFor(error: ErrorKey): number {
  for (const [status, key] of SUBMIT_STATUS_ERRORS) if (key === error) return status;
  return STATUS.ESME_RSUBMITFAIL;
}

/** A receipt's final outcome for a part, mapped onto the catalogue. */
export interface ReceiptOutcome {
  readonly status: 'delivered' | 'undelivered';
  readonly error?: ErrorKey;
  /** The carrier's own words, for error_message. */
  readonly detail?: string;
}

/** Map a final receipt (not an intermediate one) to our outcome. */
export function receiptOutcome(r: ParsedReceipt, overrides: ReadonlyMap<string, ErrorKey>): ReceiptOutcome {
  if (r.outcome === 'delivered') return { status: 'delivered' };
  const detail = `stat ${r.stat}${r.err ? `, err ${r.err}` : ''}`;
  if (r.outcome === 'expired') return { status: 'undelivered', error: 'VALIDITY_EXPIRED_AT_CARRIER', detail };
  const code = r.err === null ? null : /^\d+$/.test(r.err) ? r.err.padStart(3, '0') : r.err.toUpperCase();
  const mapped = code !== null ? (overrides.get(code) ?? RECEIPT_ERRORS.get(code)) : undefined;
  if (mapped) return { status: 'undelivered', error: mapped, detail };
  return { status: 'undelivered', error: r.outcome === 'rejected' ? 'CARRIER_BLOCKED' : 'UNKNOWN_DELIVERY_ERROR', detail };
}
