import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/app-error.js';
import type { FastifyRequest } from 'fastify';
import { checkCharset, parseJsonBody } from './json-body.js';

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

  // Node 20 names only the offset, Node 22 and later add "(line 2 column 8)": one answer on each.
  it('says where a syntax error is, by line and column, in the same words on every Node version', () => {
    expect(() => parseJsonBody(Buffer.from('{"to": "+15557654321",\n "n": 01}'))).toThrow(
      'The request body is not valid JSON: Unexpected number in JSON at position 30 (line 2, column 8)',
    );
  });
});

describe('checkCharset', () => {
  const withType = (type: string | undefined) => ({ headers: type === undefined ? {} : { 'content-type': type } }) as FastifyRequest;

  it('takes no charset, or UTF-8 and US-ASCII in any case, quoted or not, beside other parameters', () => {
    for (const type of [undefined, 'application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; CHARSET="Utf-8"', 'application/x-www-form-urlencoded; charset=us-ascii', 'application/json; charset=utf8', 'application/json; profile="a;charset=utf-16"; charset=utf-8']) {
      expect(() => checkCharset(withType(type)), type).not.toThrow();
    }
  });

  it('refuses any other charset, quoted or not, and an unterminated quote', () => {
    for (const type of ['application/json; charset=iso-8859-1', 'application/json; charset="utf-16"', 'application/json; charset=utf-8; charset=latin1', 'application/json; charset="utf-8', 'application/json; charset=']) {
      expect(() => checkCharset(withType(type)), type).toThrow(/charset .* is not supported: send the body as UTF-8/);
    }
  });
});
