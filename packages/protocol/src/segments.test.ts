import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_BODY_LENGTH,
  SEGMENT_LIMITS,
  analyzeBody,
  chooseEncoding,
  decodeGsm7,
  decodeUcs2,
  encodeGsm7,
  encodeUcs2,
  isGsm7,
  isGsm7Char,
  nonGsmCharacters,
  packSeptets,
  planMessage,
  splitSegments,
  unpackSeptets,
  type Encoding,
} from './segments.js';

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXTENSION = '\f^{}\\[~]|€';
const GRINNING = '\u{1F600}'; // 😀, a surrogate pair

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

/** Independent, deliberately naive reference model of §C.2 used as an oracle for the property tests. */
function referenceSegments(text: string): { encoding: Encoding; units: number; segments: number } {
  const chars = Array.from(text); // code points; lone surrogates stay single units
  const gsm = chars.every((ch) => BASIC.includes(ch) || EXTENSION.includes(ch));
  const width = (ch: string): number => (gsm ? (EXTENSION.includes(ch) ? 2 : 1) : ch.length);
  const units = chars.reduce((sum, ch) => sum + width(ch), 0);
  const limits = SEGMENT_LIMITS[gsm ? 'GSM-7' : 'UCS-2'];
  if (units === 0) return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments: 0 };
  if (units <= limits.single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const ch of chars) {
    if (used + width(ch) > limits.multi) {
      segments++;
      used = 0;
    }
    used += width(ch);
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments };
}

const gsmString = fc.string({ unit: fc.constantFrom(...BASIC, ...EXTENSION), maxLength: 700 });
const extensionHeavyString = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: fc.constant('a') }, { weight: 1, arbitrary: fc.constantFrom(...EXTENSION) }),
  minLength: 140,
  maxLength: 500,
});
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 200 }),
  // raw code units, so lone and mis-ordered surrogates are exercised too
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  // mostly GSM with the odd emoji or ç, to land surrogate pairs on segment boundaries
  fc.string({
    unit: fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom(...BASIC, ...EXTENSION) },
      { weight: 1, arbitrary: fc.constantFrom(GRINNING, 'ç', '👍🏽', '🇫🇷') },
    ),
    maxLength: 400,
  }),
  // dense mix of BMP and astral characters past one segment, so pairs often sit on a boundary
  fc.string({ unit: fc.constantFrom('ç', 'a', GRINNING, '👍🏽'), minLength: 36, maxLength: 300 }),
  gsmString,
  extensionHeavyString,
);

describe('spec C.2 test vectors', () => {
  const rows: [string, string, Encoding, number, number][] = [
    ['160 × a', 'a'.repeat(160), 'GSM-7', 160, 1],
    ['161 × a', 'a'.repeat(161), 'GSM-7', 161, 2],
    ['306 × a', 'a'.repeat(306), 'GSM-7', 306, 2],
    ['307 × a', 'a'.repeat(307), 'GSM-7', 307, 3],
    ['80 × €', '€'.repeat(80), 'GSM-7', 160, 1],
    ['81 × €', '€'.repeat(81), 'GSM-7', 162, 2],
    ['152 × a + € + 152 × a', 'a'.repeat(152) + '€' + 'a'.repeat(152), 'GSM-7', 306, 3],
    ['70 × é', 'é'.repeat(70), 'GSM-7', 70, 1],
    ['70 × ç', 'ç'.repeat(70), 'UCS-2', 70, 1],
    ['71 × ç', 'ç'.repeat(71), 'UCS-2', 71, 2],
    ['134 × ç', 'ç'.repeat(134), 'UCS-2', 134, 2],
    ['135 × ç', 'ç'.repeat(135), 'UCS-2', 135, 3],
    ['35 × 😀', GRINNING.repeat(35), 'UCS-2', 70, 1],
    ['36 × 😀', GRINNING.repeat(36), 'UCS-2', 72, 2],
    ['66 × ç + 😀 + 66 × ç', 'ç'.repeat(66) + GRINNING + 'ç'.repeat(66), 'UCS-2', 134, 3],
    ['1600 × a', 'a'.repeat(1600), 'GSM-7', 1600, 11],
  ];

  it.each(rows)('analyzes %s', (_name, body, encoding, units, segments) => {
    const a = analyzeBody(body);
    expect({ encoding: a.encoding, units: a.units, segments: a.segments }).toEqual({ encoding, units, segments });
  });

  it.each(rows)('splits %s into the same number of parts', (_name, body, encoding, _units, segments) => {
    const s = splitSegments(body);
    expect(s.encoding).toBe(encoding);
    expect(s.parts).toHaveLength(segments);
    expect(s.parts.join('')).toBe(body);
  });

  it('moves an extension character that would straddle a boundary into the next segment', () => {
    const parts = splitSegments('a'.repeat(152) + '€' + 'a'.repeat(152)).parts;
    expect(parts[0]).toBe('a'.repeat(152));
    expect(parts[1]).toBe('€' + 'a'.repeat(151));
    expect(parts[2]).toBe('a');
  });

  it('moves a surrogate pair that would straddle a boundary into the next segment', () => {
    const parts = splitSegments('ç'.repeat(66) + GRINNING + 'ç'.repeat(66)).parts;
    expect(parts[0]).toBe('ç'.repeat(66));
    expect(parts[1]).toBe(GRINNING + 'ç'.repeat(65));
    expect(parts[2]).toBe('ç');
  });
});

describe('constants', () => {
  it('exposes the 160/153 and 70/67 per-segment limits', () => {
    expect(SEGMENT_LIMITS).toEqual({ 'GSM-7': { single: 160, multi: 153 }, 'UCS-2': { single: 70, multi: 67 } });
  });

  it('caps bodies at 1600 UTF-16 code units', () => {
    expect(MAX_BODY_LENGTH).toBe(1600);
  });
});

describe('GSM 03.38 alphabet', () => {
  it('accepts every default-alphabet and extension character', () => {
    for (const ch of BASIC + EXTENSION) expect(isGsm7Char(ch), JSON.stringify(ch)).toBe(true);
    expect(isGsm7(BASIC + EXTENSION)).toBe(true);
  });

  it('rejects lowercase ç, backtick, ESC, look-alike Greek letters and non-BMP characters', () => {
    for (const ch of ['ç', '`', '\u001b', '\u2206', '\u2126', '\t', 'á', '♥', GRINNING, '\ud83d', '']) {
      expect(isGsm7Char(ch), JSON.stringify(ch)).toBe(false);
    }
  });

  it('treats a string of more than one code point as not a single GSM character', () => {
    expect(isGsm7Char('ab')).toBe(false);
  });

  it('uses the real GSM 03.38 code positions for the default alphabet', () => {
    const expected: [string, number][] = [
      ['@', 0x00], ['£', 0x01], ['$', 0x02], ['¥', 0x03], ['è', 0x04], ['Ç', 0x09], ['\n', 0x0a], ['\r', 0x0d],
      ['Δ', 0x10], ['_', 0x11], ['Ω', 0x15], ['Ξ', 0x1a], ['Æ', 0x1c], ['É', 0x1f], [' ', 0x20], ['¤', 0x24],
      ['0', 0x30], ['?', 0x3f], ['¡', 0x40], ['A', 0x41], ['Z', 0x5a], ['Ä', 0x5b], ['§', 0x5f], ['¿', 0x60],
      ['a', 0x61], ['z', 0x7a], ['ä', 0x7b], ['ü', 0x7e], ['à', 0x7f],
    ];
    for (const [ch, code] of expected) expect(Array.from(encodeGsm7(ch)), ch).toEqual([code]);
    expect(Array.from(encodeGsm7(BASIC))).toEqual([...Array(0x1b).keys(), ...Array.from({ length: 128 - 0x1c }, (_, i) => i + 0x1c)]);
  });

  it('encodes extension characters as ESC plus their extension code', () => {
    const expected: [string, number][] = [
      ['\f', 0x0a], ['^', 0x14], ['{', 0x28], ['}', 0x29], ['\\', 0x2f],
      ['[', 0x3c], ['~', 0x3d], [']', 0x3e], ['|', 0x40], ['€', 0x65],
    ];
    for (const [ch, code] of expected) expect(Array.from(encodeGsm7(ch)), ch).toEqual([0x1b, code]);
  });

  it('chooses UCS-2 for the whole body when a single character is not GSM', () => {
    expect(chooseEncoding('Hello world')).toBe('GSM-7');
    expect(chooseEncoding('I ♥ you')).toBe('UCS-2');
    expect(chooseEncoding('')).toBe('GSM-7');
  });

  it('reports non-GSM characters with their UTF-16 index and code point', () => {
    expect(nonGsmCharacters(`ça va ${GRINNING}!\`€`)).toEqual([
      { char: 'ç', index: 0, codePoint: 0xe7 },
      { char: GRINNING, index: 6, codePoint: 0x1f600 },
      { char: '`', index: 9, codePoint: 0x60 },
    ]);
    expect(nonGsmCharacters('plain GSM {€}')).toEqual([]);
  });

  it('reports a lone surrogate as its own code unit', () => {
    expect(nonGsmCharacters('a\ud83d')).toEqual([{ char: '\ud83d', index: 1, codePoint: 0xd83d }]);
  });
});

describe('analyzeBody', () => {
  it('reports zero segments and a full first segment for the empty string', () => {
    expect(analyzeBody('')).toEqual({
      encoding: 'GSM-7',
      units: 0,
      segments: 0,
      perSegment: 160,
      remainingInLastSegment: 160,
    });
  });

  it('counts an extension character as two septets', () => {
    expect(analyzeBody('€').units).toBe(2);
    expect(analyzeBody('{a}').units).toBe(5);
  });

  it('counts CR LF as two characters', () => {
    expect(analyzeBody('a\r\nb').units).toBe(4);
    expect(analyzeBody('\r\n'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
  });

  it('counts a non-BMP character as two UCS-2 units', () => {
    expect(analyzeBody(GRINNING)).toMatchObject({ encoding: 'UCS-2', units: 2, segments: 1 });
  });

  it('counts GSM characters as one UCS-2 unit each once the body is UCS-2', () => {
    expect(analyzeBody('€€ç')).toMatchObject({ encoding: 'UCS-2', units: 3 });
  });

  it('handles GSM-7 bodies exactly at the segment boundaries', () => {
    expect(analyzeBody('a'.repeat(159) + '€')).toMatchObject({ units: 161, segments: 2 });
    expect(analyzeBody('a'.repeat(158) + '€')).toMatchObject({ units: 160, segments: 1, remainingInLastSegment: 0 });
    expect(analyzeBody('a'.repeat(153 * 3))).toMatchObject({ segments: 3, remainingInLastSegment: 0 });
    expect(analyzeBody('a'.repeat(153 * 3 + 1))).toMatchObject({ segments: 4, remainingInLastSegment: 152 });
  });

  it('handles UCS-2 bodies exactly at the segment boundaries', () => {
    expect(analyzeBody('ç'.repeat(68) + GRINNING)).toMatchObject({ units: 70, segments: 1, remainingInLastSegment: 0 });
    expect(analyzeBody('ç'.repeat(69) + GRINNING)).toMatchObject({ units: 71, segments: 2, remainingInLastSegment: 63 });
    expect(analyzeBody('ç'.repeat(67 * 3))).toMatchObject({ segments: 3, remainingInLastSegment: 0 });
  });

  it('reports per-segment capacity and the space left in the last segment', () => {
    expect(analyzeBody('hello')).toEqual({
      encoding: 'GSM-7',
      units: 5,
      segments: 1,
      perSegment: 160,
      remainingInLastSegment: 155,
    });
    expect(analyzeBody('a'.repeat(161))).toMatchObject({ perSegment: 153, remainingInLastSegment: 145 });
    // 152 a + € + 152 a: the last segment holds a single 'a'
    expect(analyzeBody('a'.repeat(152) + '€' + 'a'.repeat(152))).toMatchObject({ remainingInLastSegment: 152 });
    expect(analyzeBody('ç'.repeat(71))).toMatchObject({ perSegment: 67, remainingInLastSegment: 63 });
  });

  it('places a UCS-2 character late in a long GSM prefix correctly', () => {
    const body = 'a'.repeat(200) + GRINNING;
    expect(analyzeBody(body)).toEqual({
      encoding: 'UCS-2',
      units: 202,
      segments: 4,
      perSegment: 67,
      remainingInLastSegment: 65, // 67 + 67 + 66 a; the pair doesn't fit the 1 unit left
    });
  });

  it('treats a lone surrogate as one UCS-2 unit', () => {
    expect(analyzeBody('\ud83d')).toMatchObject({ encoding: 'UCS-2', units: 1, segments: 1 });
  });
});

describe('planMessage', () => {
  it('sends as MMS counting one segment when media is attached', () => {
    expect(planMessage({ body: 'a'.repeat(500), mediaCount: 2 })).toEqual({
      kind: 'mms',
      encoding: 'GSM-7',
      units: 500,
      segments: 1,
    });
  });

  it('sends as MMS when sendAsMms is set even without media', () => {
    expect(planMessage({ body: 'hi', mediaCount: 0, sendAsMms: true })).toMatchObject({ kind: 'mms', segments: 1 });
  });

  it('treats a missing body on an MMS as empty', () => {
    expect(planMessage({ body: null, mediaCount: 1 })).toEqual({ kind: 'mms', encoding: 'GSM-7', units: 0, segments: 1 });
    expect(planMessage({ body: undefined, mediaCount: 1 })).toMatchObject({ kind: 'mms', units: 0 });
  });

  it('sends as SMS with the analyzed segment count when there is no media', () => {
    expect(planMessage({ body: 'ç'.repeat(71), mediaCount: 0 })).toEqual({
      kind: 'sms',
      encoding: 'UCS-2',
      units: 71,
      segments: 2,
    });
    expect(planMessage({ body: 'hi', mediaCount: 0, sendAsMms: false })).toMatchObject({ kind: 'sms', segments: 1 });
  });

  it('counts an SMS with an empty body as one segment', () => {
    expect(planMessage({ body: '', mediaCount: 0 })).toEqual({ kind: 'sms', encoding: 'GSM-7', units: 0, segments: 1 });
    expect(planMessage({ body: null, mediaCount: 0 }).segments).toBe(1);
  });
});

describe('GSM-7 codec', () => {
  it('throws RangeError on a non-GSM character, naming it', () => {
    expect(() => encodeGsm7('abç')).toThrow(RangeError);
    expect(() => encodeGsm7(`x${GRINNING}`)).toThrow(/U\+1F600 at index 1/);
  });

  it('decodes an unknown escape code as the default-alphabet character', () => {
    expect(decodeGsm7(Uint8Array.of(0x1b, 0x41))).toBe('A');
    expect(decodeGsm7(Uint8Array.of(0x1b, 0x00))).toBe('@');
  });

  it('decodes ESC ESC and a trailing ESC as a space', () => {
    expect(decodeGsm7(Uint8Array.of(0x1b, 0x1b, 0x61))).toBe(' a');
    expect(decodeGsm7(Uint8Array.of(0x61, 0x1b))).toBe('a ');
  });

  it('rejects septet values above 0x7F', () => {
    expect(() => decodeGsm7(Uint8Array.of(0x80))).toThrow(RangeError);
    expect(() => packSeptets(Uint8Array.of(0x80))).toThrow(RangeError);
  });

  it('decodes bodies longer than the fromCharCode chunk size', () => {
    const long = 'é€'.repeat(10_000);
    expect(decodeGsm7(encodeGsm7(long))).toBe(long);
  });

  it('round-trips every GSM string through encode and decode', () => {
    fc.assert(
      fc.property(gsmString, (s) => {
        expect(decodeGsm7(encodeGsm7(s))).toBe(s);
      }),
    );
  });
});

describe('septet packing', () => {
  it('packs "hello" to e8 32 9b fd 06', () => {
    expect(hex(packSeptets(encodeGsm7('hello')))).toBe('e8 32 9b fd 06');
    expect(decodeGsm7(unpackSeptets(Uint8Array.of(0xe8, 0x32, 0x9b, 0xfd, 0x06), 5))).toBe('hello');
  });

  it('packs eight septets into exactly seven octets', () => {
    expect(packSeptets(encodeGsm7('12345678'))).toHaveLength(7);
  });

  it('inserts fill bits as zeros below the first septet', () => {
    // one fill bit after a 6-octet UDH: 'h' (0x68) shifted left by 1
    expect(hex(packSeptets(Uint8Array.of(0x68), 1))).toBe('d0');
    expect(packSeptets(Uint8Array.of(0x7f), 6)).toHaveLength(2);
  });

  it('rejects padding outside 0..6 and truncated input', () => {
    expect(() => packSeptets(Uint8Array.of(1), 7)).toThrow(RangeError);
    expect(() => packSeptets(Uint8Array.of(1), -1)).toThrow(RangeError);
    expect(() => unpackSeptets(Uint8Array.of(1), 2)).toThrow(RangeError);
  });

  it('round-trips through pack and unpack for every padding 0..6', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ max: 0x7f, maxLength: 400 }),
        fc.integer({ min: 0, max: 6 }),
        (septets, padding) => {
          const packed = packSeptets(septets, padding);
          expect(packed).toHaveLength(Math.ceil((septets.length * 7 + padding) / 8));
          expect(Array.from(unpackSeptets(packed, septets.length, padding))).toEqual(Array.from(septets));
        },
      ),
    );
    for (let padding = 0; padding <= 6; padding++) {
      const septets = encodeGsm7(BASIC + EXTENSION);
      expect(Array.from(unpackSeptets(packSeptets(septets, padding), septets.length, padding))).toEqual(
        Array.from(septets),
      );
    }
  });
});

describe('UCS-2 codec', () => {
  it('encodes UTF-16BE with surrogate pairs as two code units', () => {
    expect(hex(encodeUcs2(`ç${GRINNING}`))).toBe('00 e7 d8 3d de 00');
  });

  it('rejects an odd number of bytes', () => {
    expect(() => decodeUcs2(Uint8Array.of(0x00))).toThrow(RangeError);
  });

  it('round-trips any string, including lone surrogates', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(decodeUcs2(encodeUcs2(s))).toBe(s);
      }),
    );
    const long = GRINNING.repeat(9000);
    expect(decodeUcs2(encodeUcs2(long))).toBe(long);
  });
});

describe('splitSegments properties', () => {
  it('returns no parts for the empty string', () => {
    expect(splitSegments('')).toEqual({ encoding: 'GSM-7', parts: [] });
  });

  it('keeps a single-segment body whole', () => {
    expect(splitSegments('€'.repeat(80)).parts).toEqual(['€'.repeat(80)]);
  });

  it('loses and reorders nothing', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(splitSegments(s).parts.join('')).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it('produces exactly analyzeBody(s).segments non-empty parts in the chosen encoding', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const split = splitSegments(s);
        const a = analyzeBody(s);
        expect(split.encoding).toBe(a.encoding);
        expect(split.encoding).toBe(chooseEncoding(s));
        expect(split.parts).toHaveLength(a.segments);
        for (const p of split.parts) expect(p.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('fits every part within the per-segment limit of its encoding', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const { encoding, parts } = splitSegments(s);
        const limit = parts.length > 1 ? SEGMENT_LIMITS[encoding].multi : SEGMENT_LIMITS[encoding].single;
        let last = 0;
        for (const p of parts) {
          const units = encoding === 'GSM-7' ? encodeGsm7(p).length : p.length;
          expect(units).toBeLessThanOrEqual(limit);
          last = units;
        }
        if (parts.length > 0) expect(analyzeBody(s).remainingInLastSegment).toBe(limit - last);
      }),
      { numRuns: 500 },
    );
  });

  it('never ends a part in the middle of a surrogate pair', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const { parts } = splitSegments(s);
        for (let k = 0; k + 1 < parts.length; k++) {
          const end = (parts[k] as string).charCodeAt((parts[k] as string).length - 1);
          const next = (parts[k + 1] as string).charCodeAt(0);
          const splitsPair = end >= 0xd800 && end <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
          expect(splitsPair).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decodes each encoded GSM part back to the original body', () => {
    fc.assert(
      fc.property(fc.oneof(gsmString, extensionHeavyString), (s) => {
        const { encoding, parts } = splitSegments(s);
        expect(encoding).toBe('GSM-7');
        for (const p of parts) expect(encodeGsm7(p)[encodeGsm7(p).length - 1]).not.toBe(0x1b);
        expect(parts.map((p) => decodeGsm7(encodeGsm7(p))).join('')).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a naive reference model of the segmentation rules', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const a = analyzeBody(s);
        expect({ encoding: a.encoding, units: a.units, segments: a.segments }).toEqual(referenceSegments(s));
      }),
      { numRuns: 500 },
    );
  });
});
