/**
 * Delivery receipts: the `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`
 * text of SMPP v3.4 Appendix B (in short_message, or in the message_payload TLV when
 * short_message is empty, as §5.2.x allows and data_sm always does) and/or the
 * receipted_message_id / message_state / network_error_code TLVs, read into one shape. TLVs win
 * over the text where both are present.
 *
 * Stat words: the Appendix B table (DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN,
 * REJECTD, ENROUTE), the words real SMSCs use beyond it (`CARRIER_WORDS`, each with its source)
 * and the connector's own `receiptStats`. A word in none of them says nothing we can act on: it
 * is read as intermediate and marked `unknownStat`, so the message stays `sent` until a known
 * word or receipt reconciliation's query_sm decides it (Kannel reads such a word as a failure,
 * Jasmin drops the receipt; docs/carriers/smpp.md explains the choice).
 */
import { findTlv, tlvInt, tlvString, type DataSmPdu, type ShortMessagePdu, type Tlv } from './pdu/codec.js';
import { MESSAGE_STATE, TLV } from './pdu/constants.js';

/** What a receipt's state means for the part. */
export type ReceiptReading = 'delivered' | 'undelivered' | 'expired' | 'rejected' | 'intermediate';

/** What a receipt says about one submitted message (one part). */
export interface ParsedReceipt {
  /** The carrier's message id, as written in the receipt (not normalised). */
  readonly carrierId: string;
  /** Final outcome, or `intermediate` for ENROUTE/ACCEPTD-style notifications. */
  readonly outcome: ReceiptReading;
  /** The `stat:` word or the message_state name. */
  readonly stat: string;
  /** The `err:` code or network error code, as text; null when none or zero. */
  readonly err: string | null;
  /** Set when the stat word is not one of the table's (then `outcome` is `intermediate`). */
  readonly unknownStat?: true;
  /**
   * The text's `submit date:` and `done date:` (YYMMDDhhmm, or with seconds), read as UTC and cut
   * to the minute, in ms; absent when the text has none or they are not dates. Used to tell apart
   * the messages of an id the SMSC reused (receipt-ledger.ts).
   */
  readonly submitted?: number;
  readonly done?: number;
}

/** SMPP v3.4 Appendix B, Table B-2, and the spelled-out forms some SMSCs write. */
const STANDARD_WORDS: Record<string, ReceiptReading> = {
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
};

/**
 * Words outside Table B-2 that SMSCs document. Interim: BUFFRED, BUFFERD and ACKED are what Kannel
 * reads as buffered (gw/smsc/smsc_smpp.c, handle_dlr); SCHEDULED is SMPP v5.0's message_state 0;
 * SUBMITD is SMSPortal's "submitted to the network" (docs.smsportal.com, delivery statuses).
 * Final: SKIPPED is SMPP v5.0's message_state 9 (accepted but not transmitted); FAILED, SYSERR and
 * NOCRED are SMS Central's final (esm_class 0x04) words (smscentral.com.au, SMPP "Receive DLRs");
 * FAILED and BARRED are PSWinCom's (wiki.pswin.com, Delivery Report Status); NOROUTE is Huawei's
 * (support.huaweicloud.com, status report codes) and SMSPortal's, BLIST SMSPortal's blacklist.
 */
const CARRIER_WORDS: Record<string, ReceiptReading> = {
  BUFFRED: 'intermediate',
  BUFFERD: 'intermediate',
  ACKED: 'intermediate',
  SCHEDULED: 'intermediate',
  SUBMITD: 'intermediate',
  SKIPPED: 'undelivered',
  FAILED: 'undelivered',
  SYSERR: 'undelivered',
  NOCRED: 'undelivered',
  NOROUTE: 'undelivered',
  BARRED: 'rejected',
  BLIST: 'rejected',
};

/** The words a connector reads without its own `receiptStats` (for config checks and docs). */
export const KNOWN_STAT_WORDS: ReadonlySet<string> = new Set([...Object.keys(STANDARD_WORDS), ...Object.keys(CARRIER_WORDS)]);

/** message_state values (SMPP v3.4 §5.2.28; 0 and 9 from v5.0 §4.7.15) and their stat words. */
const STATE_BY_NUMBER: Record<number, string> = {
  0: 'SCHEDULED',
  [MESSAGE_STATE.ENROUTE]: 'ENROUTE',
  [MESSAGE_STATE.DELIVERED]: 'DELIVRD',
  [MESSAGE_STATE.EXPIRED]: 'EXPIRED',
  [MESSAGE_STATE.DELETED]: 'DELETED',
  [MESSAGE_STATE.UNDELIVERABLE]: 'UNDELIV',
  [MESSAGE_STATE.ACCEPTED]: 'ACCEPTD',
  [MESSAGE_STATE.UNKNOWN]: 'UNKNOWN',
  [MESSAGE_STATE.REJECTED]: 'REJECTD',
  9: 'SKIPPED',
};

/** The stat word for a message_state value (used by the simulator's SMSC to write receipts). */
export function statWord(state: number): string {
  return STATE_BY_NUMBER[state] ?? 'UNKNOWN';
}

/** The receipt text of a deliver_sm or data_sm: short_message, or message_payload when that is empty. */
export function receiptText(pdu: ShortMessagePdu | DataSmPdu): string {
  if (pdu.command === 'deliver_sm' && pdu.shortMessage.length > 0) return pdu.shortMessage.toString('latin1');
  const payload = findTlv(pdu.tlvs, TLV.message_payload);
  // Bounded: the fields are at the start of a receipt; a hostile payload may be 64 KB.
  return payload ? payload.toString('latin1', 0, Math.min(payload.length, 512)) : '';
}

const FIELDS = {
  id: /(?:^|\s)id:(\S*)/i,
  stat: /(?:^|\s)stat:(\S*)/i,
  err: /(?:^|\s)err:(\S*)/i,
  submitted: /(?:^|\s)submit[ _]date:(\d{10}(?:\d{2})?)(?!\d)/i,
  done: /(?:^|\s)done[ _]date:(\d{10}(?:\d{2})?)(?!\d)/i,
} as const;

/** A receipt date, YYMMDDhhmm[ss], as ms since the epoch (UTC, to the minute); undefined when not a date. */
export function receiptDate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [yy, mo, dd, hh, mi] = [0, 2, 4, 6, 8].map((i) => Number(text.slice(i, i + 2))) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59) return undefined;
  const ms = Date.UTC((yy < 70 ? 2000 : 1900) + yy, mo - 1, dd, hh, mi);
  return new Date(ms).getUTCDate() === dd ? ms : undefined;
}

function field(text: string, name: keyof typeof FIELDS): string | undefined {
  return FIELDS[name].exec(text)?.[1];
}

/**
 * Parse a receipt; undefined when neither the text nor the TLVs identify a message and a state.
 * `words` are the connector's own stat words (`receiptStats`), read before the built-in ones.
 */
export function parseReceipt(text: string, tlvs: readonly Tlv[], words: ReadonlyMap<string, ReceiptReading> = new Map()): ParsedReceipt | undefined {
  // Bound the work on hostile input: a receipt text is short; the fields are at its start.
  const head = text.length > 512 ? text.slice(0, 512) : text;
  const idTlv = tlvString(tlvs, TLV.receipted_message_id);
  const carrierId = (idTlv !== undefined && idTlv !== '' ? idTlv : field(head, 'id'))?.trim();
  const stateTlv = tlvInt(tlvs, TLV.message_state);
  // A message_state outside v5.0's 0–9 defers to the text's word; with no word it is named for counting.
  const stat = (stateTlv !== undefined ? STATE_BY_NUMBER[stateTlv] : undefined) ?? field(head, 'stat')?.toUpperCase() ?? (stateTlv !== undefined ? `STATE_${stateTlv}` : undefined);
  if (!carrierId || !stat) return undefined;
  const outcome = words.get(stat) ?? (Object.hasOwn(STANDARD_WORDS, stat) ? STANDARD_WORDS[stat] : Object.hasOwn(CARRIER_WORDS, stat) ? CARRIER_WORDS[stat] : undefined);
  let err: string | null = null;
  const net = findTlv(tlvs, TLV.network_error_code);
  if (net && net.length === 3 && net.readUInt16BE(1) !== 0) err = String(net.readUInt16BE(1)).padStart(3, '0');
  else {
    const e = field(head, 'err');
    if (e && /^[0-9A-Za-z]{1,10}$/.test(e) && !/^0+$/.test(e)) err = e;
  }
  const submitted = receiptDate(field(head, 'submitted'));
  const done = receiptDate(field(head, 'done'));
  return {
    carrierId,
    outcome: outcome ?? 'intermediate',
    stat,
    err,
    ...(outcome ? {} : { unknownStat: true as const }),
    ...(submitted !== undefined ? { submitted } : {}),
    ...(done !== undefined ? { done } : {}),
  };
}

/** Write a receipt text in the Appendix B layout. */
export function formatReceiptText(r: { id: string; submitted: Date; done: Date; stat: string; err: string; text: string; delivered: boolean }): string {
  const d = (t: Date) =>
    `${String(t.getUTCFullYear() % 100).padStart(2, '0')}${String(t.getUTCMonth() + 1).padStart(2, '0')}${String(t.getUTCDate()).padStart(2, '0')}${String(t.getUTCHours()).padStart(2, '0')}${String(t.getUTCMinutes()).padStart(2, '0')}`;
  return `id:${r.id} sub:001 dlvrd:${r.delivered ? '001' : '000'} submit date:${d(r.submitted)} done date:${d(r.done)} stat:${r.stat} err:${r.err} text:${r.text.slice(0, 20)}`;
}
