/**
 * SMS segmentation maths and the GSM 03.38 / UCS-2 codecs (spec rest-apis.md §C).
 *
 * Pure and platform-neutral: no `node:*` imports and no Buffer, so the SDK can run it in a browser to
 * show live segment counts. Hot path (every outbound message): lookup tables are built once at module
 * load and {@link analyzeBody} is a single allocation-free pass in the common case.
 */

/** Character encoding an SMS body is sent with: GSM-7 if every character is in GSM 03.38, otherwise UCS-2 (§C.1). */
export type Encoding = 'GSM-7' | 'UCS-2';

/** Per-segment capacity (§C.2): septets for GSM-7, UTF-16 code units for UCS-2; `multi` is smaller because of the 6-octet UDH. */
export const SEGMENT_LIMITS: {
  readonly 'GSM-7': { readonly single: 160; readonly multi: 153 };
  readonly 'UCS-2': { readonly single: 70; readonly multi: 67 };
} = Object.freeze({
  'GSM-7': Object.freeze({ single: 160, multi: 153 } as const),
  'UCS-2': Object.freeze({ single: 70, multi: 67 } as const),
});

/** Maximum SMS body length, counted in UTF-16 code units (the stricter reading recommended by spec §C.3). */
export const MAX_BODY_LENGTH = 1600;

/** Result of {@link analyzeBody}: how a body is encoded and how many segments it is billed as. */
export interface SegmentAnalysis {
  /** Encoding the whole body is sent with. */
  encoding: Encoding;
  /** Septets for GSM-7 (extension characters count 2); UTF-16 code units for UCS-2. */
  units: number;
  /** Number of SMS segments; 0 for the empty string. */
  segments: number;
  /** Capacity of each segment at this segment count (160/70 when single, 153/67 when multipart). */
  perSegment: number;
  /** Units still free in the last segment (respecting the no-straddle rules); `perSegment` for the empty string. */
  remainingInLastSegment: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Tables (built once at module load)
// ---------------------------------------------------------------------------------------------------------------

const ESC = 0x1b;

/**
 * GSM 03.38 default alphabet in code order 0x00..0x7F. Position 0x1B is the escape code (not a character);
 * the placeholder there is skipped when building the lookup table. Greek letters are written as escapes so
 * look-alikes (e.g. U+2206 INCREMENT for Δ, U+2126 OHM for Ω) cannot sneak in.
 */
const GSM_BASIC =
  '@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5' + // 0x00 @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å
  '\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u001b\u00c6\u00e6\u00df\u00c9' + // 0x10 Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ ESC Æ æ ß É
  ' !"#\u00a4%&\'()*+,-./' + // 0x20 (¤ at 0x24)
  '0123456789:;<=>?' + // 0x30
  '\u00a1ABCDEFGHIJKLMNO' + // 0x40 ¡
  'PQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7' + // 0x50 Ä Ö Ñ Ü §
  '\u00bfabcdefghijklmno' + // 0x60 ¿
  'pqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0'; // 0x70 ä ö ñ ü à

/** Extension table: [character, code after ESC]. Each costs 2 septets. */
const GSM_EXTENSION: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['\u20ac', 0x65], // €
];

/** Highest UTF-16 code unit that is a GSM character (€, U+20AC) + 1. */
const TABLE_SIZE = 0x20ad;

/**
 * Char code → (cost << 8) | gsmCode. 0 means "not GSM". cost is 1 (default alphabet) or 2 (extension).
 * 16 KiB, indexed directly by `charCodeAt`, so classification is one bounds check and one load.
 */
const CHAR_TABLE = new Uint16Array(TABLE_SIZE);
/** Septet code → char code in the default alphabet (ESC slot is unused). */
const BASIC_DECODE = new Uint16Array(128);
/** Code after ESC → char code of the extension character, 0 when the slot is empty. */
const EXT_DECODE = new Uint16Array(128);

if (GSM_BASIC.length !== 128) throw new Error('GSM 03.38 basic table must have 128 entries');
for (let code = 0; code < 128; code++) {
  const cc = GSM_BASIC.charCodeAt(code);
  BASIC_DECODE[code] = cc;
  if (code !== ESC) CHAR_TABLE[cc] = 0x100 | code;
}
for (const [ch, code] of GSM_EXTENSION) {
  const cc = ch.charCodeAt(0);
  CHAR_TABLE[cc] = 0x200 | code;
  EXT_DECODE[code] = cc;
}

const GSM_SINGLE = 160;
const GSM_MULTI = 153;
const UCS_SINGLE = 70;
const UCS_MULTI = 67;

/** Table entry for a UTF-16 code unit (0 = not GSM). */
function entryOf(c: number): number {
  return c < TABLE_SIZE ? (CHAR_TABLE[c] as number) : 0;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Width in UTF-16 units of the code point starting at index i (2 for a well-formed surrogate pair, else 1). */
function ucsWidthAt(text: string, i: number): number {
  return isHigh(text.charCodeAt(i)) && i + 1 < text.length && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------------------------

/** True when `ch` is exactly one code point from the GSM 03.38 default alphabet or extension table (ESC itself is not). */
export function isGsm7Char(ch: string): boolean {
  return ch.length === 1 && entryOf(ch.charCodeAt(0)) !== 0;
}

/** True when every character of `text` is GSM-7 encodable (the empty string is GSM-7). */
export function isGsm7(text: string): boolean {
  for (let i = 0, n = text.length; i < n; i++) {
    if (entryOf(text.charCodeAt(i)) === 0) return false;
  }
  return true;
}

/** Encoding a body is sent with: a single non-GSM character makes the whole message UCS-2 (§C.1). */
export function chooseEncoding(text: string): Encoding {
  return isGsm7(text) ? 'GSM-7' : 'UCS-2';
}

/** Characters that force UCS-2, with their UTF-16 index, so a UI can show where and why a body tips into UCS-2. */
export function nonGsmCharacters(text: string): { char: string; index: number; codePoint: number }[] {
  const out: { char: string; index: number; codePoint: number }[] = [];
  for (let i = 0, n = text.length; i < n; ) {
    const c = text.charCodeAt(i);
    if (entryOf(c) !== 0) {
      i++;
      continue;
    }
    const w = ucsWidthAt(text, i);
    out.push({
      char: w === 2 ? text.slice(i, i + 2) : text.charAt(i),
      index: i,
      codePoint: w === 2 ? (text.codePointAt(i) as number) : c,
    });
    i += w;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Segment counting and splitting
// ---------------------------------------------------------------------------------------------------------------

/** units = septets for GSM-7 (extension chars count 2), UTF-16 code units for UCS-2; segments 0 for the empty string. */
export function analyzeBody(text: string): SegmentAnalysis {
  const n = text.length;
  if (n === 0) {
    return { encoding: 'GSM-7', units: 0, segments: 0, perSegment: GSM_SINGLE, remainingInLastSegment: GSM_SINGLE };
  }

  // Single pass: sum septet costs straight from the table; bail to UCS-2 on the first non-GSM unit.
  let septets = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const e = c < TABLE_SIZE ? (CHAR_TABLE[c] as number) : 0;
    if (e === 0) return analyzeUcs2(text, i);
    septets += e >> 8;
  }

  if (septets <= GSM_SINGLE) {
    return {
      encoding: 'GSM-7',
      units: septets,
      segments: 1,
      perSegment: GSM_SINGLE,
      remainingInLastSegment: GSM_SINGLE - septets,
    };
  }

  let segments: number;
  let used: number;
  if (septets === n) {
    // No extension characters: nothing can straddle, plain arithmetic.
    segments = Math.ceil(septets / GSM_MULTI);
    used = septets - (segments - 1) * GSM_MULTI;
  } else {
    // Escape pairs present: simulate so a pair that doesn't fit starts the next segment.
    segments = 1;
    used = 0;
    for (let i = 0; i < n; i++) {
      const w = (CHAR_TABLE[text.charCodeAt(i)] as number) >> 8;
      if (used + w > GSM_MULTI) {
        segments++;
        used = w;
      } else {
        used += w;
      }
    }
  }
  return { encoding: 'GSM-7', units: septets, segments, perSegment: GSM_MULTI, remainingInLastSegment: GSM_MULTI - used };
}

/** UCS-2 tail of analyzeBody; `from` is the index of the first non-GSM unit (everything before it is single-unit BMP). */
function analyzeUcs2(text: string, from: number): SegmentAnalysis {
  const n = text.length;
  if (n <= UCS_SINGLE) {
    return { encoding: 'UCS-2', units: n, segments: 1, perSegment: UCS_SINGLE, remainingInLastSegment: UCS_SINGLE - n };
  }
  // The GSM prefix [0, from) has no surrogates, so its packing is arithmetic; simulate the rest.
  let segments = from === 0 ? 1 : Math.ceil(from / UCS_MULTI);
  let used = from - (segments - 1) * UCS_MULTI;
  for (let i = from; i < n; ) {
    const c = text.charCodeAt(i);
    const w = c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
    if (used + w > UCS_MULTI) {
      segments++;
      used = w;
    } else {
      used += w;
    }
    i += w;
  }
  return { encoding: 'UCS-2', units: n, segments, perSegment: UCS_MULTI, remainingInLastSegment: UCS_MULTI - used };
}

/**
 * Split into per-segment substrings following the rules above; parts.join('') === text always.
 * `multi` overrides the per-part capacity of a multipart message (septets for GSM-7, UTF-16 units
 * for UCS-2), e.g. 152/66 when a 16-bit concatenation reference makes the UDH one octet longer.
 */
export function splitSegments(text: string, multi?: { readonly 'GSM-7': number; readonly 'UCS-2': number }): { encoding: Encoding; parts: string[] } {
  const gsmMulti = multi?.['GSM-7'] ?? GSM_MULTI;
  const ucsMulti = multi?.['UCS-2'] ?? UCS_MULTI;
  if (gsmMulti < 2 || ucsMulti < 2) throw new RangeError('multipart capacity must be at least 2 units');
  const n = text.length;
  const gsm = isGsm7(text);
  const encoding: Encoding = gsm ? 'GSM-7' : 'UCS-2';
  if (n === 0) return { encoding, parts: [] };

  if (gsm) {
    let septets = 0;
    for (let i = 0; i < n; i++) septets += (CHAR_TABLE[text.charCodeAt(i)] as number) >> 8;
    if (septets <= GSM_SINGLE) return { encoding, parts: [text] };
    const parts: string[] = [];
    let start = 0;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const w = (CHAR_TABLE[text.charCodeAt(i)] as number) >> 8;
      if (used + w > gsmMulti) {
        parts.push(text.slice(start, i));
        start = i;
        used = w;
      } else {
        used += w;
      }
    }
    parts.push(text.slice(start));
    return { encoding, parts };
  }

  if (n <= UCS_SINGLE) return { encoding, parts: [text] };
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < n; ) {
    const w = ucsWidthAt(text, i);
    if (used + w > ucsMulti) {
      parts.push(text.slice(start, i));
      start = i;
      used = w;
    } else {
      used += w;
    }
    i += w;
  }
  parts.push(text.slice(start));
  return { encoding, parts };
}

/**
 * SMS vs MMS decision and the segment count a message is billed/reported with: MMS when mediaCount > 0 or
 * sendAsMms, and an MMS counts as 1 segment; a sent SMS always counts at least 1 segment, even with an empty body.
 */
export function planMessage(input: {
  body: string | null | undefined;
  mediaCount: number;
  sendAsMms?: boolean;
}): { kind: 'sms' | 'mms'; encoding: Encoding; units: number; segments: number } {
  const a = analyzeBody(input.body ?? '');
  if (input.mediaCount > 0 || input.sendAsMms === true) {
    return { kind: 'mms', encoding: a.encoding, units: a.units, segments: 1 };
  }
  return { kind: 'sms', encoding: a.encoding, units: a.units, segments: Math.max(1, a.segments) };
}

// ---------------------------------------------------------------------------------------------------------------
// Codecs
// ---------------------------------------------------------------------------------------------------------------

/** GSM-7 codec: one septet value (0..127) per array element, extension chars as 0x1B + code. Throws RangeError on a non-GSM char. */
export function encodeGsm7(text: string): Uint8Array {
  const n = text.length;
  const out = new Uint8Array(n * 2); // worst case: every character is an extension pair
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const e = c < TABLE_SIZE ? (CHAR_TABLE[c] as number) : 0;
    if (e === 0) {
      const cp = text.codePointAt(i) as number;
      throw new RangeError(
        `Character U+${cp.toString(16).toUpperCase().padStart(4, '0')} at index ${i} is not in the GSM 03.38 alphabet`,
      );
    }
    if (e >= 0x200) out[o++] = ESC;
    out[o++] = e & 0x7f;
  }
  return o === out.length ? out : out.slice(0, o);
}

/**
 * Inverse of encodeGsm7. Following GSM 03.38's receiver rules: ESC + a code with no extension character decodes
 * as the default-alphabet character for that code (the ESC is dropped); ESC ESC and a trailing lone ESC decode
 * as a space. Throws RangeError on a value above 0x7F.
 */
export function decodeGsm7(septets: Uint8Array): string {
  const n = septets.length;
  const codes = new Uint16Array(n);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const s = septets[i] as number;
    if (s > 0x7f) throw new RangeError(`Septet value 0x${s.toString(16)} at index ${i} is out of range (0..0x7F)`);
    if (s !== ESC) {
      codes[o++] = BASIC_DECODE[s] as number;
      continue;
    }
    if (i + 1 >= n) {
      codes[o++] = 0x20; // lone trailing ESC: displayed as a space
      continue;
    }
    const x = septets[++i] as number;
    if (x > 0x7f) throw new RangeError(`Septet value 0x${x.toString(16)} at index ${i} is out of range (0..0x7F)`);
    if (x === ESC) {
      codes[o++] = 0x20; // ESC ESC: reserved for a further extension table, displayed as a space
    } else {
      const ext = EXT_DECODE[x] as number;
      codes[o++] = ext !== 0 ? ext : (BASIC_DECODE[x] as number);
    }
  }
  return codesToString(codes, o);
}

/** Build a string from UTF-16 code units without blowing the argument limit of String.fromCharCode. */
function codesToString(codes: Uint16Array, length: number): string {
  const CHUNK = 8192;
  if (length <= CHUNK) return String.fromCharCode(...codes.subarray(0, length));
  let s = '';
  for (let i = 0; i < length; i += CHUNK) {
    s += String.fromCharCode(...codes.subarray(i, Math.min(i + CHUNK, length)));
  }
  return s;
}

function checkPadding(paddingBits: number): void {
  if (!Number.isInteger(paddingBits) || paddingBits < 0 || paddingBits > 6) {
    throw new RangeError(`paddingBits must be an integer 0..6, got ${paddingBits}`);
  }
}

/** Pack septets 7-bit into octets (GSM 03.38 packing, LSB first), with optional fill bits for UDH alignment (paddingBits 0..6). */
export function packSeptets(septets: Uint8Array, paddingBits = 0): Uint8Array {
  checkPadding(paddingBits);
  const n = septets.length;
  const out = new Uint8Array(Math.ceil((n * 7 + paddingBits) / 8));
  let acc = 0; // pending bits, LSB first; never holds more than 14 bits
  let bits = paddingBits; // fill bits are zeros at the bottom of the first octet
  let o = 0;
  for (let i = 0; i < n; i++) {
    const s = septets[i] as number;
    if (s > 0x7f) throw new RangeError(`Septet value 0x${s.toString(16)} at index ${i} is out of range (0..0x7F)`);
    acc |= s << bits;
    bits += 7;
    if (bits >= 8) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[o] = acc & 0xff;
  return out;
}

/** Inverse of packSeptets: read `septetCount` septets after `paddingBits` fill bits. Throws RangeError if `octets` is too short. */
export function unpackSeptets(octets: Uint8Array, septetCount: number, paddingBits = 0): Uint8Array {
  checkPadding(paddingBits);
  if (!Number.isInteger(septetCount) || septetCount < 0) {
    throw new RangeError(`septetCount must be a non-negative integer, got ${septetCount}`);
  }
  const needed = Math.ceil((septetCount * 7 + paddingBits) / 8);
  if (octets.length < needed) {
    throw new RangeError(`${septetCount} septets need ${needed} octets, got ${octets.length}`);
  }
  const out = new Uint8Array(septetCount);
  for (let i = 0; i < septetCount; i++) {
    const bit = paddingBits + i * 7;
    const byte = bit >> 3;
    const shift = bit & 7;
    let v = (octets[byte] as number) >> shift;
    if (shift > 1) v |= (octets[byte + 1] as number) << (8 - shift);
    out[i] = v & 0x7f;
  }
  return out;
}

/** UCS-2/UTF-16BE codec (surrogate pairs kept as two code units). */
export function encodeUcs2(text: string): Uint8Array {
  const n = text.length;
  const out = new Uint8Array(n * 2);
  for (let i = 0, o = 0; i < n; i++, o += 2) {
    const c = text.charCodeAt(i);
    out[o] = c >> 8;
    out[o + 1] = c & 0xff;
  }
  return out;
}

/** Inverse of encodeUcs2 (UTF-16BE, lone surrogates preserved). Throws RangeError on an odd byte length. */
export function decodeUcs2(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0) throw new RangeError(`UCS-2 data must have an even length, got ${bytes.length}`);
  const n = bytes.length >> 1;
  const codes = new Uint16Array(n);
  for (let i = 0, b = 0; i < n; i++, b += 2) codes[i] = ((bytes[b] as number) << 8) | (bytes[b + 1] as number);
  return codesToString(codes, n);
}
