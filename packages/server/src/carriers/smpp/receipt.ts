/**
 * Delivery receipts: the `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`
 * text of SMPP v3.4 Appendix B and/or the receipted_message_id / message_state /
 * network_error_code TLVs, read into one shape. TLVs win over the text where both are present.
 *
 * A `stat:` word outside the table (a carrier's own word for an interim state, or a new one) says
 * nothing final: it is read as intermediate and marked `unknownStat`, so the message stays `sent`
 * until a known final word or receipt reconciliation's query_sm decides it. Ending it undelivered
 * (30008) on a word we cannot read could fail messages that were delivered.
 */
import { tlvInt, tlvString, findTlv, type Tlv } from './pdu/codec.js';
import { MESSAGE_STATE, TLV } from './pdu/constants.js';

/** What a receipt says about one submitted message (one part). */
export interface ParsedReceipt {
  /** The carrier's message id, as written in the receipt (not normalised). */
  readonly carrierId: string;
  /** Final outcome, or `intermediate` for ENROUTE/ACCEPTD-style notifications. */
  readonly outcome: 'delivered' | 'undelivered' | 'expired' | 'rejected' | 'intermediate';
  /** The `stat:` word or the message_state name. */
  readonly stat: string;
  /** The `err:` code or network error code, as text; null when none or zero. */
  readonly err: string | null;
  /** Set when the stat word is not one of the table's (then `outcome` is `intermediate`). */
  readonly unknownStat?: true;
}

const STATE_WORDS: Record<string, ParsedReceipt['outcome']> = {
  DELIVRD: 'delivered',
  DELIVERED: 'delivered',
  UNDELIV: 'undelivered',
  UNDELIVERABLE: 'undelivered',
  EXPIRED: 'expired',
  DELETED: 'undelivered',
  UNKNOWN: 'undelivered',
  REJECTD: 'rejected',
  REJECTED: 'rejected',
  ACCEPTD: 'intermediate',
  ACCEPTED: 'intermediate',
  ENROUTE: 'intermediate',
  BUFFRED: 'intermediate',
  // Interim words Kannel also reads as buffered (gw/smsc/smsc_smpp.c, handle_dlr).
  BUFFERD: 'intermediate',
  ACKED: 'intermediate',
};

const STATE_BY_NUMBER: Record<number, string> = {
  [MESSAGE_STATE.ENROUTE]: 'ENROUTE',
  [MESSAGE_STATE.DELIVERED]: 'DELIVRD',
  [MESSAGE_STATE.EXPIRED]: 'EXPIRED',
  [MESSAGE_STATE.DELETED]: 'DELETED',
  [MESSAGE_STATE.UNDELIVERABLE]: 'UNDELIV',
  [MESSAGE_STATE.ACCEPTED]: 'ACCEPTD',
  [MESSAGE_STATE.UNKNOWN]: 'UNKNOWN',
  [MESSAGE_STATE.REJECTED]: 'REJECTD',
};

/** The stat word for a message_state value (used by the simulator's SMSC to write receipts). */
export function statWord(state: number): string {
  return STATE_BY_NUMBER[state] ?? 'UNKNOWN';
}

const FIELDS = { id: /(?:^|\s)id:(\S*)/i, stat: /(?:^|\s)stat:(\S*)/i, err: /(?:^|\s)err:(\S*)/i } as const;

function field(text: string, name: keyof typeof FIELDS): string | undefined {
  return FIELDS[name].exec(text)?.[1];
}

/** Parse a receipt; undefined when neither the text nor the TLVs identify a message and a state. */
export function parseReceipt(text: string, tlvs: readonly Tlv[]): ParsedReceipt | undefined {
  // Bound the work on hostile input: a receipt text is short; the fields are at its start.
  const head = text.length > 512 ? text.slice(0, 512) : text;
  const idTlv = tlvString(tlvs, TLV.receipted_message_id);
  const carrierId = (idTlv !== undefined && idTlv !== '' ? idTlv : field(head, 'id'))?.trim();
  const stateTlv = tlvInt(tlvs, TLV.message_state);
  const stat = (stateTlv !== undefined ? STATE_BY_NUMBER[stateTlv] : undefined) ?? field(head, 'stat')?.toUpperCase();
  if (!carrierId || !stat) return undefined;
  const known = Object.hasOwn(STATE_WORDS, stat);
  const outcome = known ? STATE_WORDS[stat]! : 'intermediate';
  let err: string | null = null;
  const net = findTlv(tlvs, TLV.network_error_code);
  if (net && net.length === 3 && net.readUInt16BE(1) !== 0) err = String(net.readUInt16BE(1)).padStart(3, '0');
  else {
    const e = field(head, 'err');
    if (e && /^[0-9A-Za-z]{1,10}$/.test(e) && !/^0+$/.test(e)) err = e;
  }
  return { carrierId, outcome, stat, err, ...(known ? {} : { unknownStat: true as const }) };
}

/** Write a receipt text in the Appendix B layout. */
export function formatReceiptText(r: { id: string; submitted: Date; done: Date; stat: string; err: string; text: string; delivered: boolean }): string {
  const d = (t: Date) =>
    `${String(t.getUTCFullYear() % 100).padStart(2, '0')}${String(t.getUTCMonth() + 1).padStart(2, '0')}${String(t.getUTCDate()).padStart(2, '0')}${String(t.getUTCHours()).padStart(2, '0')}${String(t.getUTCMinutes()).padStart(2, '0')}`;
  return `id:${r.id} sub:001 dlvrd:${r.delivered ? '001' : '000'} submit date:${d(r.submitted)} done date:${d(r.done)} stat:${r.stat} err:${r.err} text:${r.text.slice(0, 20)}`;
}
