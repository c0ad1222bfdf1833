/** Reading and building the optional parameters (TLVs) of SMPP PDUs. */
import type { Tlv } from './pdus.js';

/** The first TLV with a tag. */
export function findTlv(tlvs: readonly Tlv[], tag: number): Buffer | undefined {
  for (const t of tlvs) if (t.tag === tag) return t.value;
  return undefined;
}

/** An unsigned integer TLV of 1, 2 or 4 octets; undefined when absent or of another size. */
export function tlvInt(tlvs: readonly Tlv[], tag: number): number | undefined {
  const v = findTlv(tlvs, tag);
  if (!v) return undefined;
  if (v.length === 1) return v[0]!;
  if (v.length === 2) return v.readUInt16BE(0);
  if (v.length === 4) return v.readUInt32BE(0);
  return undefined;
}

/** A C-Octet string TLV (NUL optional); undefined when absent. */
export function tlvString(tlvs: readonly Tlv[], tag: number): string | undefined {
  const v = findTlv(tlvs, tag);
  if (!v) return undefined;
  const nul = v.indexOf(0);
  return v.toString('latin1', 0, nul < 0 ? v.length : nul);
}

/** Build an integer TLV of `size` octets. */
export function intTlv(tag: number, value: number, size: 1 | 2 | 4): Tlv {
  const b = Buffer.alloc(size);
  if (size === 1) b[0] = value;
  else if (size === 2) b.writeUInt16BE(value, 0);
  else b.writeUInt32BE(value >>> 0, 0);
  return { tag, value: b };
}

/** Build a C-Octet string TLV (NUL-terminated). */
export function stringTlv(tag: number, value: string): Tlv {
  return { tag, value: Buffer.concat([Buffer.from(value, 'latin1'), Buffer.from([0])]) };
}
