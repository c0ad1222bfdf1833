import { describe, expect, it } from 'vitest';
import { cleanJson, cleanStringValues, cleanText, jsonMayNeedCleaning } from './clean-text.js';

describe('cleanText', () => {
  it('replaces NULs and lone surrogates with U+FFFD and keeps everything else', () => {
    expect(cleanText('a\u0000b\u0000')).toBe('a\uFFFDb\uFFFD');
    expect(cleanText('x\ud800y\udfff')).toBe('x\uFFFDy\uFFFD');
    const kept = 'plain ✓ 😀 \u0001 \\u0000';
    expect(cleanText(kept)).toBe(kept);
  });
});

describe('JSON input', () => {
  it('is walked only when its text has the escape of a NUL or of a surrogate', () => {
    expect(jsonMayNeedCleaning('{"a":"\\u0000"}')).toBe(true);
    expect(jsonMayNeedCleaning('{"a":"\\uD83D\\uDE00"}')).toBe(true);
    expect(jsonMayNeedCleaning('{"a":"\\u00e9 \\\\ 😀"}')).toBe(false);
  });

  it('cleans strings at any depth, keys included, and keeps numbers, booleans and null', () => {
    const parsed = JSON.parse('{"body":"a\\u0000b","cv":{"k\\u0000":"\\ud800"},"tags":["ok","\\udc00x"],"n":1,"t":true,"z":null,"emoji":"\\ud83d\\ude00"}');
    expect(cleanJson(parsed)).toEqual({ body: 'a\uFFFDb', cv: { 'k\uFFFD': '\uFFFD' }, tags: ['ok', '\uFFFDx'], n: 1, t: true, z: null, emoji: '😀' });
  });
});

describe('cleanStringValues', () => {
  it('cleans query or path parameter values, single or repeated, in place', () => {
    const query: Record<string, unknown> = { to: '+1555\u0000', status: ['queued', '\ud800'], page_size: '5' };
    cleanStringValues(query);
    expect(query).toEqual({ to: '+1555\uFFFD', status: ['queued', '\uFFFD'], page_size: '5' });
  });
});
