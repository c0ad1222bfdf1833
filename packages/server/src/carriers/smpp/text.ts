/**
 * Message text ↔ SMPP short messages. Outbound: choose the data coding (GSM-7 packed or unpacked,
 * Latin-1, UCS-2), split with the segment maths from `protocol`, and carry the parts with a UDH
 * (8- or 16-bit reference), SAR TLVs, or the whole text in `message_payload`. Inbound: decode per
 * data coding and read the concatenation facts from a UDH or SAR TLVs.
 */
import { decodeGsm7, decodeUcs2, encodeGsm7, encodeUcs2, isGsm7, packSeptets, splitSegments, unpackSeptets } from '@switchboard/protocol';
import { findTlv, intTlv, tlvInt, type Tlv } from './pdu/codec.js';
import { DATA_CODING, ESM_CLASS, TLV } from './pdu/constants.js';

/** How GSM-7 text goes on the wire: one septet per octet (most SMSCs), packed, or as Latin-1. */
export type GsmWireEncoding = 'gsm7' | 'gsm7-packed' | 'latin1';

/** How long texts are carried. */
export type SplitMethod = 'udh8' | 'udh16' | 'sar' | 'payload';

export interface TextOptions {
  readonly gsmEncoding: GsmWireEncoding;
  readonly split: SplitMethod;
}

/** One submit_sm's worth of text. */
export interface OutboundPart {
  readonly shortMessage: Buffer;
  readonly dataCoding: number;
  /** Bits to OR into esm_class (UDHI). */
  readonly esmClassBits: number;
  readonly tlvs: readonly Tlv[];
}

/** Over-the-air capacity of one part in a multipart message, per split method. */
const CAPACITY: Record<SplitMethod, { 'GSM-7': number; 'UCS-2': number }> = {
  udh8: { 'GSM-7': 153, 'UCS-2': 67 },
  udh16: { 'GSM-7': 152, 'UCS-2': 66 },
  // The SMSC builds the UDH itself; 153/67 matches what it fits with an 8-bit reference.
  sar: { 'GSM-7': 153, 'UCS-2': 67 },
  payload: { 'GSM-7': 153, 'UCS-2': 67 },
};

/** The characters of GSM 03.38 that Latin-1 has too; others force GSM-7 even when Latin-1 is configured. */
function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

const GSM_CR = 0x0d;

function withTrailingCr(septets: Uint8Array): Uint8Array {
  const out = new Uint8Array(septets.length + 1);
  out.set(septets);
  out[septets.length] = GSM_CR;
  return out;
}

function encodeText(text: string, gsm: boolean, wire: GsmWireEncoding, udhOctets: number): { bytes: Buffer; dataCoding: number } {
  if (!gsm) return { bytes: Buffer.from(encodeUcs2(text)), dataCoding: DATA_CODING.UCS2 };
  if (wire === 'latin1' && isLatin1(text)) return { bytes: Buffer.from(text, 'latin1'), dataCoding: DATA_CODING.LATIN1 };
  let septets = encodeGsm7(text);
  if (wire === 'gsm7-packed') {
    // Fill bits align the first septet after the UDH on a septet boundary (GSM 03.40 §9.2.3.24).
    const padding = udhOctets === 0 ? 0 : (7 - ((udhOctets * 8) % 7)) % 7;
    const spare = (8 - ((padding + septets.length * 7) % 8)) % 8;
    const last = septets[septets.length - 1];
    // 3GPP TS 23.038 §6.1.2.3.1: 7 spare bits would read as a trailing '@', so pad with CR instead;
    // a real trailing CR that ends exactly on an octet boundary is doubled, since the receiver
    // drops one CR in that position (CR CR means the same as CR).
    if (septets.length > 0 && (spare === 7 || (spare === 0 && last === GSM_CR))) septets = withTrailingCr(septets);
    return { bytes: Buffer.from(packSeptets(septets, padding)), dataCoding: DATA_CODING.DEFAULT };
  }
  return { bytes: Buffer.from(septets), dataCoding: DATA_CODING.DEFAULT };
}

/**
 * Encode a text into the short messages to submit. `reference` identifies the concatenated
 * message (taken modulo 256 for udh8, 65536 otherwise). A text that fits one SMS is one part with
 * no UDH, whatever the split method.
 */
export function encodeOutbound(text: string, opts: TextOptions, reference: number): OutboundPart[] {
  const gsm = isGsm7(text);
  if (opts.split === 'payload') {
    const { bytes, dataCoding } = encodeText(text, gsm, opts.gsmEncoding, 0);
    const single = splitSegments(text).parts.length <= 1 && bytes.length <= 254;
    if (single) return [{ shortMessage: bytes, dataCoding, esmClassBits: 0, tlvs: [] }];
    return [{ shortMessage: Buffer.alloc(0), dataCoding, esmClassBits: 0, tlvs: [{ tag: TLV.message_payload, value: bytes }] }];
  }
  const parts = splitSegments(text, CAPACITY[opts.split]).parts;
  if (parts.length <= 1) {
    const { bytes, dataCoding } = encodeText(text, gsm, opts.gsmEncoding, 0);
    return [{ shortMessage: bytes, dataCoding, esmClassBits: 0, tlvs: [] }];
  }
  const total = parts.length;
  return parts.map((part, i) => {
    const seq = i + 1;
    if (opts.split === 'sar') {
      const { bytes, dataCoding } = encodeText(part, gsm, opts.gsmEncoding, 0);
      return {
        shortMessage: bytes,
        dataCoding,
        esmClassBits: 0,
        tlvs: [intTlv(TLV.sar_msg_ref_num, reference & 0xffff, 2), intTlv(TLV.sar_total_segments, total, 1), intTlv(TLV.sar_segment_seqnum, seq, 1)],
      };
    }
    const udh =
      opts.split === 'udh8'
        ? Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, seq])
        : Buffer.from([0x06, 0x08, 0x04, (reference >> 8) & 0xff, reference & 0xff, total, seq]);
    const { bytes, dataCoding } = encodeText(part, gsm, opts.gsmEncoding, udh.length);
    return { shortMessage: Buffer.concat([udh, bytes]), dataCoding, esmClassBits: ESM_CLASS.UDHI, tlvs: [] };
  });
}

/** Concatenation facts of one received part. */
export interface Concatenation {
  readonly reference: number;
  readonly total: number;
  readonly seq: number;
}

/** A decoded inbound short message. */
export interface DecodedText {
  readonly text: string;
  readonly concat?: Concatenation;
}

/** Read a UDH: its length in octets (with the length octet) and any concatenation element. */
function readUdh(bytes: Buffer): { length: number; concat?: Concatenation } | undefined {
  if (bytes.length < 1) return undefined;
  const udhl = bytes[0]!;
  if (udhl + 1 > bytes.length) return undefined;
  let concat: Concatenation | undefined;
  let i = 1;
  while (i + 2 <= udhl + 1) {
    const iei = bytes[i]!;
    const len = bytes[i + 1]!;
    if (i + 2 + len > udhl + 1) break;
    const v = bytes.subarray(i + 2, i + 2 + len);
    if (iei === 0x00 && len === 3) concat = { reference: v[0]!, total: v[1]!, seq: v[2]! };
    else if (iei === 0x08 && len === 4) concat = { reference: v.readUInt16BE(0), total: v[2]!, seq: v[3]! };
    i += 2 + len;
  }
  return { length: udhl + 1, ...(concat && concat.total > 0 && concat.seq > 0 && concat.seq <= concat.total ? { concat } : {}) };
}

/** data_coding values SMPP v3.4 defines (§5.2.19); the others are GSM 03.38 DCS values some SMSCs pass through. */
const SMPP_CODINGS: ReadonlySet<number> = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0d, 0x0e]);

/** Single-byte codings TextDecoder knows, by data_coding. */
const ISO_8859: Readonly<Record<number, string>> = { 0x06: 'iso-8859-5', 0x07: 'iso-8859-8' };

/**
 * The alphabet of a data_coding: SMPP's own values as they are; values SMPP reserves read as the
 * GSM 03.38 (3GPP TS 23.038 §4) data coding scheme they are, as SMSCs pass MOs' DCS through (a
 * flash message in UCS-2 arrives as 0x18): groups 00xx and 01xx (bits 3-2: GSM-7, 8-bit, UCS-2),
 * message waiting groups 1100/1101 (GSM-7) and 1110 (UCS-2), 1111 (bit 2: 8-bit, else GSM-7).
 * Kannel reads them the same way (`dcs_to_fields` in gw/sms.c, called for every deliver_sm).
 */
function alphabetOf(dataCoding: number): number {
  if (SMPP_CODINGS.has(dataCoding)) return dataCoding;
  const group = dataCoding & 0xf0;
  if (group === 0xf0) return dataCoding & 0x04 ? DATA_CODING.BINARY_8BIT : DATA_CODING.DEFAULT;
  if (group === 0xe0) return DATA_CODING.UCS2;
  if ((dataCoding & 0x80) === 0) {
    const alphabet = (dataCoding & 0x0c) >> 2;
    return alphabet === 1 ? DATA_CODING.BINARY_8BIT : alphabet === 2 ? DATA_CODING.UCS2 : DATA_CODING.DEFAULT;
  }
  return DATA_CODING.DEFAULT;
}

function decodeBytes(bytes: Buffer, dataCoding: number, gsmPacked: boolean, udhOctets: number): string {
  const dc = alphabetOf(dataCoding);
  try {
    switch (dc) {
      case DATA_CODING.UCS2:
        return decodeUcs2(bytes.length % 2 === 0 ? bytes : bytes.subarray(0, bytes.length - 1));
      case DATA_CODING.DEFAULT: {
        if (gsmPacked) {
          const padding = udhOctets === 0 ? 0 : (7 - ((udhOctets * 8) % 7)) % 7;
          const count = Math.floor((bytes.length * 8 - padding) / 7);
          let septets = unpackSeptets(bytes, count, padding);
          // A CR that exactly fills the last octet is padding (3GPP TS 23.038 §6.1.2.3.1).
          if (count > 0 && (count * 7 + padding) % 8 === 0 && septets[count - 1] === GSM_CR) septets = septets.subarray(0, count - 1);
          return decodeGsm7(septets);
        }
        // Unpacked: one septet per octet; a stray high bit is masked rather than fatal.
        const septets = new Uint8Array(bytes.length);
        for (let i = 0; i < bytes.length; i++) septets[i] = bytes[i]! & 0x7f;
        return decodeGsm7(septets);
      }
      case DATA_CODING.IA5:
        return bytes.toString('ascii');
      case 0x06:
      case 0x07:
        return new TextDecoder(ISO_8859[dc]).decode(bytes);
      default:
        // Latin-1 and the 8-bit codings: every octet is one character, nothing is lost.
        return bytes.toString('latin1');
    }
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * Decode a received submit_sm/deliver_sm/data_sm body: text from short_message or
 * message_payload, concatenation from the UDH or SAR TLVs. Never throws.
 */
export function decodeInbound(input: { shortMessage: Buffer; dataCoding: number; esmClass: number; tlvs: readonly Tlv[] }, gsmPacked: boolean): DecodedText {
  let bytes = input.shortMessage.length ? input.shortMessage : (findTlv(input.tlvs, TLV.message_payload) ?? Buffer.alloc(0));
  let concat: Concatenation | undefined;
  let udhOctets = 0;
  if (input.esmClass & ESM_CLASS.UDHI) {
    const udh = readUdh(bytes);
    if (udh) {
      udhOctets = udh.length;
      concat = udh.concat;
      bytes = bytes.subarray(udh.length);
    }
  }
  if (!concat) {
    const reference = tlvInt(input.tlvs, TLV.sar_msg_ref_num);
    const total = tlvInt(input.tlvs, TLV.sar_total_segments);
    const seq = tlvInt(input.tlvs, TLV.sar_segment_seqnum);
    // One octet each (v3.4 §5.3.2.23-24), as in a UDH: a wider TLV naming millions of parts is no
    // concatenation (its reassembly would hold a slot per part).
    if (reference !== undefined && total !== undefined && seq !== undefined && total > 0 && total <= 255 && seq > 0 && seq <= total) concat = { reference, total, seq };
  }
  const text = decodeBytes(bytes, input.dataCoding, gsmPacked, udhOctets);
  return concat && concat.total > 1 ? { text, concat } : { text };
}
