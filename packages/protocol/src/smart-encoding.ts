/**
 * Smart encoding: replace characters that have a GSM-7 look-alike (curly quotes, dashes, the
 * ellipsis, special spaces, fullwidth forms…) before a body is segmented, so a message that was
 * GSM-7 but for a stray `’` is billed and sent as GSM-7 (160 characters a segment, not 70).
 *
 * The table follows Twilio's documented list of characters its Smart Encoding replaces
 * (https://www.twilio.com/docs/messaging/services/smart-encoding-char-list), with two deliberate
 * readings: every special space becomes one space, and U+2039/U+203A become `<`/`>` (their look).
 * Characters with no look-alike (emoji, CJK, Cyrillic…) are left alone, so such a body stays UCS-2.
 *
 * Pure and platform-neutral, like segments.ts: the SDK and the console can show what it would change.
 */
import { isGsm7 } from './segments.js';

/** Replacement → the characters it stands for. Kept grouped by replacement so the table reads as the docs do. */
const GROUPS: ReadonlyArray<readonly [string, string]> = [
  ['"', '\u00ab\u00bb\u201c\u201d\u02ba\u02ee\u201f\u275d\u275e\u301d\u301e\uff02\u201e'],
  ["'", '\u2018\u2019\u02bb\u02c8\u02bc\u02bd\u02b9\u201b\uff07\u00b4\u02ca\u0060\u02cb\u275b\u275c\u0313\u0314\ufe10\ufe11\u2017'],
  ['-', '\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u23bc\u23bd\ufe63\uff0d\u2022'],
  ['...', '\u2026'],
  ['/', '\u00f7\u29f8\u0337\u0338\u2044\u2215\uff0f'],
  ['\\', '\u29f9\u29f5\u20e5\ufe68\uff3c'],
  ['_', '\u0332\uff3f'],
  ['|', '\u20d2\u20d3\u2223\uff5c\u23b8\u23b9\u23d0\u239c\u239f'],
  ['@', '\ufe6b\uff20'],
  ['$', '\ufe69\uff04'],
  ['!', '\u01c3\ufe15\ufe57\uff01'],
  ['!!', '\u203c'],
  ['#', '\ufe5f\uff03'],
  ['%', '\ufe6a\uff05'],
  ['&', '\ufe60\uff06'],
  [',', '\u201a\u0326\ufe50\ufe51\uff0c\uff64\u3001'],
  ['(', '\u2768\u276a\ufe59\uff08\u27ee\u2985'],
  [')', '\u2769\u276b\ufe5a\uff09\u27ef\u2986'],
  ['*', '\u204e\u2217\u229b\u2722\u2723\u2724\u2725\u2731\u2732\u2733\u273a\u273b\u273c\u273d\u2743\u2749\u274a\u274b\u29c6\ufe61\uff0a'],
  ['+', '\u02d6\ufe62\uff0b'],
  ['.', '\u3002\ufe52\uff0e\uff61'],
  [':', '\u02d0\u02f8\u2982\ua789\ufe13\uff1a'],
  [';', '\u204f\ufe14\ufe54\uff1b'],
  ['<', '\ufe64\uff1c\u2039'],
  ['=', '\u0347\ua78a\ufe66\uff1d'],
  ['>', '\ufe65\uff1e\u203a'],
  ['?', '\ufe16\ufe56\uff1f'],
  ['^', '\u02c6\u0302\uff3e\u1dcd'],
  ['{', '\u2774\ufe5b\uff5b'],
  ['}', '\u2775\ufe5c\uff5d'],
  ['[', '\uff3b'],
  [']', '\uff3d'],
  ['~', '\u02dc\u02f7\u0303\u0330\u0334\u223c\uff5e'],
  ['1/4', '\u00bc'],
  ['1/2', '\u00bd'],
  ['3/4', '\u00be'],
  // Special spaces and line/paragraph separators read as one space.
  [' ', '\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u2028\u2029'],
  // Invisible characters are dropped.
  ['', '\u200b\u2060\ufeff'],
];

/** Character → GSM-7 replacement. */
const REPLACEMENTS: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const [replacement, chars] of GROUPS) {
    for (const ch of chars) map.set(ch, replacement);
  }
  // Fullwidth letters and digits (U+FF10–FF19, U+FF21–FF3A, U+FF41–FF5A) → ASCII.
  for (let c = 0xff10; c <= 0xff19; c++) map.set(String.fromCharCode(c), String.fromCharCode(c - 0xfee0));
  for (let c = 0xff21; c <= 0xff3a; c++) map.set(String.fromCharCode(c), String.fromCharCode(c - 0xfee0));
  for (let c = 0xff41; c <= 0xff5a; c++) map.set(String.fromCharCode(c), String.fromCharCode(c - 0xfee0));
  // Small capitals, as the documented list has them (U+1D00 ᴀ → A …).
  const smallCaps: Record<string, string> = {
    A: '\u1d00', B: '\u0299', C: '\u1d04', D: '\u1d05', E: '\u1d07', F: '\ua730', G: '\u0262', H: '\u029c', I: '\u026a', J: '\u1d0a', K: '\u1d0b', L: '\u029f', M: '\u1d0d',
    N: '\u0274', O: '\u1d0f', P: '\u1d18', R: '\u0280', S: '\ua731', T: '\u1d1b', U: '\u1d1c', V: '\u1d20', W: '\u1d21', Y: '\u028f', Z: '\u1d22',
  };
  for (const [letter, ch] of Object.entries(smallCaps)) map.set(ch, letter);
  return map;
})();

/** The GSM-7 replacement smart encoding uses for one character, if it has one. */
export function smartReplacement(ch: string): string | undefined {
  return REPLACEMENTS.get(ch);
}

/** What smart encoding did to a body. */
export interface SmartEncodingResult {
  /** The body with every look-alike replaced (the same string when nothing was). */
  readonly body: string;
  /** Each replaced character once, with what it became, in order of first appearance (for explainers). */
  readonly replaced: ReadonlyArray<{ readonly char: string; readonly replacement: string }>;
}

/**
 * Replace every character that has a GSM-7 look-alike. Bodies that are already GSM-7 come back
 * unchanged without being copied; characters without a look-alike are kept.
 */
export function smartEncode(text: string): SmartEncodingResult {
  if (isGsm7(text)) return { body: text, replaced: [] };
  let out = '';
  const seen = new Map<string, string>();
  for (const ch of text) {
    const r = REPLACEMENTS.get(ch);
    if (r === undefined) {
      out += ch;
    } else {
      out += r;
      if (!seen.has(ch)) seen.set(ch, r);
    }
  }
  return { body: out, replaced: [...seen].map(([char, replacement]) => ({ char, replacement })) };
}
