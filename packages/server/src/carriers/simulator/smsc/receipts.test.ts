import { describe, expect, it } from 'vitest';
import { receiptOutcome } from '../../smpp/error-codes.js';
import type { ShortMessagePdu } from '../../smpp/pdu/codec.js';
import { ESM_CLASS } from '../../smpp/pdu/constants.js';
import { parseReceipt } from '../../smpp/receipt.js';
import { deliverSm } from './deliveries.js';
import { receiptFor, type AcceptedSubmit } from './receipts.js';

const DELAYS = { delayMs: 100, delayedReceiptMs: 5000 };

function accepted(registeredDelivery: number): AcceptedSubmit {
  const pdu: ShortMessagePdu = { ...deliverSm('+15550001111', '+447700900001', 0, 0, Buffer.from('hello'), []), command: 'submit_sm', sequence: 7, registeredDelivery };
  return { pdu, receiptId: '42', text: 'hello', acceptedAt: 1_000_000 };
}

describe('the simulator SMSC receipts', () => {
  it('sends none when none was asked for, or for a success when only failures were', () => {
    expect(receiptFor(accepted(0), { kind: 'delivered', receipt: 'normal' }, DELAYS)).toBeUndefined();
    expect(receiptFor(accepted(2), { kind: 'delivered', receipt: 'normal' }, DELAYS)).toBeUndefined();
    expect(receiptFor(accepted(1), { kind: 'no_receipt' }, DELAYS)).toBeUndefined();
    expect(receiptFor(accepted(2), { kind: 'undelivered', error: 'HANDSET_UNREACHABLE' }, DELAYS)).toBeDefined();
  });

  it('writes a delivered receipt from the handset to the sender, after the normal or the long delay', () => {
    const r = receiptFor(accepted(1), { kind: 'delivered', receipt: 'normal' }, DELAYS)!;
    expect(r.at).toBe(1_000_100);
    expect(r.pdu).toMatchObject({ command: 'deliver_sm', esmClass: ESM_CLASS.DELIVERY_RECEIPT, source: { addr: '447700900001' }, destination: { addr: '15550001111' } });
    expect(parseReceipt(r.pdu.shortMessage.toString('latin1'), r.pdu.tlvs)).toMatchObject({ carrierId: '42', outcome: 'delivered', err: null });
    expect(receiptFor(accepted(1), { kind: 'delivered', receipt: 'delayed' }, DELAYS)!.at).toBe(1_005_000);
  });

  it('writes an undelivered receipt that our connector maps back to the same catalogue error', () => {
    const r = receiptFor(accepted(1), { kind: 'undelivered', error: 'HANDSET_UNKNOWN' }, DELAYS)!;
    const parsed = parseReceipt(r.pdu.shortMessage.toString('latin1'), r.pdu.tlvs)!;
    expect(parsed).toMatchObject({ carrierId: '42', outcome: 'undelivered' });
    expect(receiptOutcome(parsed, new Map())).toMatchObject({ status: 'undelivered', error: 'HANDSET_UNKNOWN' });
  });
});
