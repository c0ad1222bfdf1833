import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyNumber, isE164, isShortCode, isValidDestination, isValidSender, parsePhoneNumber } from './phone-numbers.js';

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

describe('parsePhoneNumber', () => {
  it.each([
    ['+15551234567', 'e164'],
    ['+447700900123', 'e164'],
    ['12345', 'shortcode'],
    ['123456', 'shortcode'],
    ['988', 'passthrough'],
    ['+988', 'passthrough'],
    ['1234', 'passthrough'],
    ['ACME', 'other'],
    ['07700900123', 'other'],
    ['+0123456', 'other'],
    ['12', 'other'],
    // Sender IDs as carriers pass them on (Twilio's characters: letters, digits, space, - + _ &).
    ['DHL Express', 'other'],
    ['Shop-24', 'other'],
    ['AT&T', 'other'],
    ['Go+Fly', 'other'],
    ['my_bank', 'other'],
  ])('reads %s as %s, unchanged', (value, kind) => {
    expect(parsePhoneNumber(value)).toEqual({ number: value, kind });
  });

  it.each(['', '+', ' +15551234567', '+15551234567 ', '+1 555 123 4567', '+1555-123-4567', '(555) 123-4567', 'a'.repeat(32), 'sender.id', ' ACME', 'ACME ', '12 34', '+1-555', '<script>', undefined, null, 15551234567, ['+15551234567']])(
    'refuses %j',
    (value) => {
      expect(parsePhoneNumber(value)).toBeUndefined();
    },
  );

  it('reads + optional then 1 to 31 letters or digits, or a sender ID of 1 to 31 with a letter, spaces inside and - + _ & (property)', () => {
    const unit = fc.constantFrom(...'+0123456789AZaz -._&');
    const senderId = (v: string) => /[A-Za-z]/.test(v) && /^[0-9A-Za-z +\-_&]{1,31}$/.test(v) && !v.startsWith(' ') && !v.endsWith(' ');
    fc.assert(fc.property(fc.string({ unit, maxLength: 34 }), (v) => (parsePhoneNumber(v) !== undefined) === (/^\+?[0-9A-Za-z]{1,31}$/.test(v) || senderId(v))));
  });
});

describe('isE164', () => {
  it('accepts + and a non-zero digit followed by 4 to 16 digits', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), digits(4, 16), (first, rest) => isE164(`+${first}${rest}`)));
  });

  it.each(['+1234', '+123456789012345678', '+0123456789', '15551234567', '+1555-123-4567', '+1555123456a', '+', '', '++15551234567', '+15551234567\n'])('refuses %j', (value) => {
    expect(isE164(value)).toBe(false);
  });
});

describe('isShortCode', () => {
  it.each(['12345', '123456', '00000'])('accepts %s', (value) => expect(isShortCode(value)).toBe(true));
  it.each(['1234', '1234567', '+12345', '12a45'])('refuses %s', (value) => expect(isShortCode(value)).toBe(false));
});

describe('isValidDestination and isValidSender', () => {
  it('take E.164 numbers and short codes', () => {
    for (const v of ['+15551234567', '12345', '123456']) {
      expect(isValidDestination(v)).toBe(true);
      expect(isValidSender(v)).toBe(true);
    }
  });

  it('take passthrough numbers such as 988 as destinations only', () => {
    for (const v of ['988', '+988', '911', '1234', '+1234']) {
      expect(isValidDestination(v)).toBe(true);
      expect(isValidSender(v)).toBe(false);
    }
  });

  it.each(['12', '+12', '1234567', 'abc', ''])('refuse %j', (v) => {
    expect(isValidDestination(v)).toBe(false);
    expect(isValidSender(v)).toBe(false);
  });

  it('take exactly what the send checks always took (property)', () => {
    const unit = fc.constantFrom(...'+0123456789A ');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 19 }), (v) => {
        const e164 = /^\+[1-9]\d{4,16}$/.test(v);
        const short = /^\d{5,6}$/.test(v);
        return isValidSender(v) === (e164 || short) && isValidDestination(v) === (e164 || short || /^\+?\d{3,4}$/.test(v));
      }),
    );
  });

  it('never accept a sender that is not a valid destination (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), (v) => !isValidSender(v) || isValidDestination(v)));
  });
});

describe('classifyNumber', () => {
  it.each([
    ['+15551234567', 'longcode', 'US'],
    ['+18005551212', 'toll-free', 'US'],
    ['+18335551212', 'toll-free', 'US'],
    ['+18445551212', 'toll-free', 'US'],
    ['+18555551212', 'toll-free', 'US'],
    ['+18665551212', 'toll-free', 'US'],
    ['+18775551212', 'toll-free', 'US'],
    ['+18885551212', 'toll-free', 'US'],
    ['+18995551212', 'longcode', 'US'],
    ['+447700900123', 'longcode', 'GB'],
    ['+4915112345678', 'longcode', 'DE'],
    ['+35312345678', 'longcode', 'IE'],
    ['+97150123456', 'longcode', 'AE'],
    ['+972501234567', 'longcode', 'IL'],
    ['+8613800138000', 'longcode', 'CN'],
    ['+79161234567', 'longcode', 'RU'],
    ['+9999999999', 'longcode', null],
  ])('classifies %s as %s in %s', (number, type, countryCode) => {
    expect(classifyNumber(number)).toEqual({ type, countryCode });
  });

  it('prefers the longest calling code', () => {
    // +234 (Nigeria) must not be read as +2 or +23; +852 (Hong Kong) not as +85.
    expect(classifyNumber('+2348012345678')?.countryCode).toBe('NG');
    expect(classifyNumber('+85291234567')?.countryCode).toBe('HK');
  });

  it('classifies short codes with no country', () => {
    expect(classifyNumber('12345')).toEqual({ type: 'shortcode', countryCode: null });
  });

  it.each(['988', '+0123456', 'abc', '+1 800 555 1212'])('cannot classify %j', (v) => {
    expect(classifyNumber(v)).toBeUndefined();
  });
});
