import { describe, expect, it } from 'vitest';
import { findCode, parseCodePattern } from './one-time-code.js';

describe('findCode', () => {
  it('finds the first run of 4 to 8 digits', () => {
    expect(findCode('Your code is 123456. It expires in 10 minutes.')).toBe('123456');
    expect(findCode('PIN 0042')).toBe('0042');
    expect(findCode('12345678 is your code')).toBe('12345678');
    expect(findCode('Codes: 9876 then 5432')).toBe('9876');
  });

  it('takes no part of a longer number, and nothing shorter than 4 digits', () => {
    expect(findCode('Call +15551230001 about order 123')).toBeNull();
    expect(findCode('Call 5551230001, your code is 4711')).toBe('4711');
    expect(findCode('no digits here')).toBeNull();
  });

  it('uses a caller pattern: its first group when it has one, else the whole match', () => {
    expect(findCode('Code: AB-12Z, valid 5 min', parseCodePattern('Code: ([A-Z0-9-]+)') as RegExp)).toBe('AB-12Z');
    expect(findCode('token xk29ab', parseCodePattern('[a-z]{2}\\d{2}[a-z]{2}') as RegExp)).toBe('xk29ab');
    expect(findCode('nothing', parseCodePattern('\\d{6}') as RegExp)).toBeNull();
  });
});

describe('parseCodePattern', () => {
  it('refuses invalid, overlong and nested-quantifier patterns with a reason', () => {
    expect(parseCodePattern('([0-9]')).toMatch(/not a valid regular expression/);
    expect(parseCodePattern('x'.repeat(101))).toMatch(/1 to 100 characters/);
    expect(parseCodePattern('(a+)+$')).toMatch(/exponential/);
    expect(parseCodePattern('(\\d*)*')).toMatch(/exponential/);
    expect(parseCodePattern('')).toMatch(/1 to 100/);
  });
});
