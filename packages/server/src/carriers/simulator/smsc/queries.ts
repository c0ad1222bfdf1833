/**
 * The simulator SMSC's memory of the messages it accepted, to answer `query_sm` as an SMSC does:
 * ENROUTE until the message's receipt time, then DELIVERED, or UNDELIVERABLE with the network
 * error code its receipt carries (also for messages whose receipt it never sends: the `no_receipt`
 * outcome delivers the message and loses only the receipt). Ids it no longer remembers — it keeps
 * the last 100,000, and nothing across a restart (its ids are not reused after one) — get
 * ESME_RQUERYFAIL. Bounded, no timers.
 */
import type { SimulatedOutcome } from '../../../domain/simulator/outcomes.js';
import { receiptErrFor } from '../../smpp/error-codes.js';
import type { QuerySmPdu, QuerySmRespPdu } from '../../smpp/pdu/codec.js';
import { MESSAGE_STATE, STATUS } from '../../smpp/pdu/constants.js';
import { smppAbsoluteTime } from '../../smpp/submit-parts.js';

interface Accepted {
  readonly source: string;
  readonly outcome: SimulatedOutcome;
  /** When its delivery (and receipt, if any) happens (ms). */
  readonly doneAt: number;
}

const MAX_REMEMBERED = 100_000;

export class AcceptedMessages {
  /** By message number (the SMSC's ids are numbers written in decimal or hex), oldest first. */
  private readonly byNumber = new Map<number, Accepted>();

  constructor(private readonly idFormat: 'decimal' | 'hex') {}

  remember(n: number, source: string, outcome: SimulatedOutcome, doneAt: number): void {
    this.byNumber.set(n, { source, outcome, doneAt });
    if (this.byNumber.size > MAX_REMEMBERED) this.byNumber.delete(this.byNumber.keys().next().value!);
  }

  /** The query_sm_resp for `pdu` at `now`. */
  answer(pdu: QuerySmPdu, now: number): QuerySmRespPdu {
    const id = pdu.messageId.trim();
    // Ids are the wall clock in ms × 100 and up (`smsc-server.ts`): 15 digits, 12 or 13 in hex.
    const n = this.idFormat === 'hex' ? (/^[0-9a-f]{1,13}$/i.test(id) ? parseInt(id, 16) : NaN) : /^\d{1,16}$/.test(id) ? Number(id) : NaN;
    const m = this.byNumber.get(n);
    const base = { command: 'query_sm_resp', sequence: pdu.sequence, messageId: pdu.messageId } as const;
    // The source address must be the one the message was submitted with (SMPP v3.4 §4.8.1).
    if (!m || m.source !== pdu.source.addr) return { ...base, status: STATUS.ESME_RQUERYFAIL, finalDate: '', messageState: 0, errorCode: 0 };
    if (now < m.doneAt) return { ...base, status: STATUS.ESME_ROK, finalDate: '', messageState: MESSAGE_STATE.ENROUTE, errorCode: 0 };
    // Only accepted messages are remembered: a `failed` outcome was refused at submission.
    const error = m.outcome.kind === 'undelivered' ? m.outcome.error : null;
    return {
      ...base,
      status: STATUS.ESME_ROK,
      finalDate: smppAbsoluteTime(m.doneAt),
      messageState: error ? MESSAGE_STATE.UNDELIVERABLE : MESSAGE_STATE.DELIVERED,
      errorCode: error ? Number(receiptErrFor(error)) : 0,
    };
  }
}
