import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/app-error.js';
import { decodeForm, redecodeQuery } from './percent-decoding.js';

describe('redecodeQuery', () => {
  it('leaves a query whose escapes all decode as the router parsed it', () => {
    const query = { a: 'parsed' };
    expect(redecodeQuery('/x?a=caf%C3%A9', query)).toBeUndefined();
    expect(redecodeQuery('/x', query)).toBeUndefined();
    expect(query).toEqual({ a: 'parsed' });
  });

  it('reads the good escapes of a value with a stray %, and keeps the % itself', () => {
    const query: Record<string, unknown> = { q: 'caf%C3%A9 100%', n: ['1', '2'] };
    expect(redecodeQuery('/x?q=caf%C3%A9+100%&n=1&n=2', query)).toBeUndefined();
    expect(query).toEqual({ q: 'café 100%', n: ['1', '2'] });
  });

  it('names the parameter whose escaped bytes are not UTF-8', () => {
    const err = redecodeQuery('/x?ok=1&To=%2B1%FF', { ok: '1', To: '%2B1%FF' });
    expect(err).toBeInstanceOf(AppError);
    expect(err!.details[0]).toMatchObject({ key: 'INVALID_PARAMETER', attribute: 'To' });
  });

  it('keeps a parameter named __proto__ a parameter, whatever the prototype of the parsed query', () => {
    const query: Record<string, unknown> = {};
    expect(redecodeQuery('/x?__proto__=a%zz&__proto__=b', query)).toBeUndefined();
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(query, '__proto__')?.value).toEqual(['a%zz', 'b']);
  });
});

describe('decodeForm', () => {
  it('turns %00 into U+FFFD and refuses a lone surrogate written as UTF-8 bytes', () => {
    expect(decodeForm('a=x%00y')).toEqual({ params: { a: 'x\uFFFDy' } });
    expect(decodeForm('a=%ED%A0%80')).toEqual({ badName: 'a' });
  });
});
