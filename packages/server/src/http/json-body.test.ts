import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/app-error.js';
import { parseJsonBody } from './json-body.js';

describe('parseJsonBody', () => {
  it('ignores a leading UTF-8 byte order mark (RFC 8259 §8.1), and only a leading one', () => {
    expect(parseJsonBody(Buffer.from('\uFEFF{"to":"+15557654321"}', 'utf8'))).toEqual({ to: '+15557654321' });
    expect(() => parseJsonBody(Buffer.from('{"to":"+1"}\uFEFF', 'utf8'))).toThrow(AppError);
    expect(() => parseJsonBody(Buffer.from('\uFEFF', 'utf8'))).toThrow(/empty/);
  });

  it('refuses bytes that are not UTF-8 and text that is not JSON', () => {
    expect(() => parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(/not valid UTF-8/);
    expect(() => parseJsonBody(Buffer.from('{"a":'))).toThrow(/not valid JSON/);
  });
});
