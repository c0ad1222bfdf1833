/**
 * The delivery receipt the simulator's SMSC owes for a submit_sm it accepted: what the simulator's
 * outcome for the destination says, written as an SMSC would (Appendix B text plus the
 * receipted_message_id / message_state / network_error_code TLVs), due after the normal or the
 * long receipt delay.
 */
import type { SimulatorTuning } from '../../../domain/ports/simulator.js';
import type { SimulatedOutcome } from '../../../domain/simulator/outcomes.js';
import { receiptDelay } from '../../../domain/simulator/tuning.js';
import { receiptErrFor } from '../../smpp/error-codes.js';
import { intTlv, stringTlv, type ShortMessagePdu, type Tlv } from '../../smpp/pdu/codec.js';
import { ESM_CLASS, MESSAGE_STATE, TLV } from '../../smpp/pdu/constants.js';
import { formatReceiptText, statWord } from '../../smpp/receipt.js';
import { numberOf } from './addresses.js';
import { deliverSm, type DeliverSm } from './deliveries.js';

/** A receipt and when it is due (ms). */
export interface DueReceipt {
  readonly at: number;
  readonly pdu: DeliverSm;
}

/** The accepted submission a receipt answers. */
export interface AcceptedSubmit {
  readonly pdu: ShortMessagePdu;
  /** Its message id as receipts write it. */
  readonly receiptId: string;
  /** Its text, decoded (the receipt quotes the start). */
  readonly text: string;
  readonly acceptedAt: number;
}

/** The receipt for `submit`, or undefined when its registered_delivery or the outcome wants none. */
export function receiptFor(submit: AcceptedSubmit, outcome: SimulatedOutcome, delays: Pick<SimulatorTuning, 'delayMs' | 'delayedReceiptMs'>): DueReceipt | undefined {
  const wanted = submit.pdu.registeredDelivery & 0x03;
  if (wanted === 0 || outcome.kind === 'no_receipt') return undefined;
  const failed = outcome.kind === 'undelivered';
  if (wanted === 2 && !failed) return undefined; // receipts on failure only
  const error = failed ? outcome.error : null;
  const state = failed ? MESSAGE_STATE.UNDELIVERABLE : MESSAGE_STATE.DELIVERED;
  const err = error ? receiptErrFor(error) : '000';
  const delay = receiptDelay(outcome, delays);
  const now = submit.acceptedAt;
  const body = formatReceiptText({ id: submit.receiptId, submitted: new Date(now), done: new Date(now + delay), stat: statWord(state), err, text: submit.text, delivered: !failed });
  const tlvs: Tlv[] = [stringTlv(TLV.receipted_message_id, submit.receiptId), intTlv(TLV.message_state, state, 1)];
  if (error) tlvs.push({ tag: TLV.network_error_code, value: Buffer.from([3, 0, Number(err)]) });
  // The receipt goes from the handset (the original destination) to the sender.
  const pdu = deliverSm(numberOf(submit.pdu.destination), numberOf(submit.pdu.source), ESM_CLASS.DELIVERY_RECEIPT, 0, Buffer.from(body, 'latin1'), tlvs);
  return { at: now + delay, pdu };
}
