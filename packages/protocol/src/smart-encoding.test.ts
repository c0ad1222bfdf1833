import { describe, expect, it } from 'vitest';
import { isGsm7, isGsm7Char, planMessage } from './segments.js';
import { smartEncode, smartReplacement } from './smart-encoding.js';

describe('smartEncode', () => {
  it('turns curly quotes, dashes, the ellipsis and special spaces into GSM-7', () => {
    const r = smartEncode('\u201cHello\u201d \u2014 it\u2019s\u00a0here\u2026 \u2013 \u2018ok\u2019\u2009!');
    expect(r.body).toBe('"Hello" - it\'s here... - \'ok\' !');
    expect(isGsm7(r.body)).toBe(true);
    expect(r.replaced.map((x) => x.char)).toEqual(['\u201c', '\u201d', '\u2014', '\u2019', '\u00a0', '\u2026', '\u2013', '\u2018', '\u2009']);
  });

  it('makes a 100-character body with one curly apostrophe a single GSM-7 segment instead of two UCS-2 ones', () => {
    const body = `It\u2019s ${'x'.repeat(95)}`;
    expect(planMessage({ body, mediaCount: 0 })).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(planMessage({ body: smartEncode(body).body, mediaCount: 0 })).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('leaves characters without a look-alike, so such a body stays UCS-2', () => {
    const r = smartEncode('Caf\u00e9 \u2019 \u{1F600} \u4f60\u597d');
    expect(r.body).toBe("Caf\u00e9 ' \u{1F600} \u4f60\u597d");
    expect(isGsm7(r.body)).toBe(false);
  });

  it('returns a GSM-7 body unchanged', () => {
    const body = 'Plain text with [brackets] and \u20ac';
    const r = smartEncode(body);
    expect(r.body).toBe(body);
    expect(r.replaced).toEqual([]);
  });

  it('maps fullwidth forms, fractions and drops invisible characters', () => {
    expect(smartEncode('\uff21\uff22\uff23\uff11\uff12 \u00bd \u200bX\ufeff').body).toBe('ABC12 1/2 X');
  });

  it('only ever replaces with GSM-7 text, and never replaces a GSM-7 character', () => {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      const r = smartReplacement(ch);
      if (r === undefined) continue;
      expect(isGsm7Char(ch), `U+${c.toString(16)} is GSM-7 and must not be replaced`).toBe(false);
      expect(isGsm7(r), `replacement of U+${c.toString(16)}`).toBe(true);
    }
  });
});
