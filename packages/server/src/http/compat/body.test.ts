import { describe, expect, it } from 'vitest';
import { parseForm, repeatedFormKeys } from './body.js';

describe('the strict form parser', () => {
  it('decodes + and percent escapes and collects repeated keys', () => {
    expect(parseForm('To=%2B15551234567&Body=Hello+world%21&MediaUrl=a&MediaUrl=b&MediaUrl=c&Empty=&Flag')).toEqual({
      To: '+15551234567',
      Body: 'Hello world!',
      MediaUrl: ['a', 'b', 'c'],
      Empty: '',
      Flag: '',
    });
    expect(parseForm('DateSent%3C=2024-01-15&Body=%E2%82%AC%20%F0%9F%98%80')).toEqual({ 'DateSent<': '2024-01-15', Body: '€ 😀' });
    expect(parseForm('')).toEqual({});
  });

  it('remembers which keys a form gave more than once; a JSON body has none', () => {
    expect([...repeatedFormKeys(parseForm('To=a&Body=x&MediaUrl=1&Body=y&MediaUrl=2&MediaUrl=3'))].sort()).toEqual(['Body', 'MediaUrl']);
    expect(repeatedFormKeys(parseForm('To=a&Body=x')).size).toBe(0);
    expect(repeatedFormKeys({ Body: ['x', 'y'] }).size).toBe(0);
    expect(repeatedFormKeys(undefined).size).toBe(0);
  });

  it('keeps unescaped characters outside the BMP whole beside escapes', () => {
    expect(parseForm('Body=Hi+%F0%9F%98%80+😀')).toEqual({ Body: 'Hi 😀 😀' });
  });

  it('keeps malformed escapes literally, as browsers do', () => {
    expect(parseForm('Body=100%25+%zz')).toEqual({ Body: '100% %zz' });
  });

  it('decodes the same with and without the native fast path', () => {
    // Escapes decodeURIComponent takes, and mixes of them with what only the byte loop takes.
    expect(parseForm('StatusCallback=http%3A%2F%2F127.0.0.1%3A9%2Fcb%3Fa%3D1%2B2&Body=caf%C3%A9+%2B+%25')).toEqual({ StatusCallback: 'http://127.0.0.1:9/cb?a=1+2', Body: 'café + %' });
    expect(parseForm('Body=%E2%82%AC+100%+%E2%82%AC')).toEqual({ Body: '€ 100% €' });
    expect(() => parseForm('Body=%41%FF+%zz')).toThrow(/UTF-8/);
  });

  it('refuses percent-escaped bytes that are not UTF-8', () => {
    expect(() => parseForm('Body=%FF')).toThrow(/UTF-8/);
    expect(() => parseForm('Body=%C3')).toThrow(/UTF-8/);
    expect(() => parseForm('%ED%A0%80=x')).toThrow(/UTF-8/);
  });

  it('takes a NUL, escaped or raw, as U+FFFD (no database keeps it as sent)', () => {
    expect(parseForm('Body=a%00b&FriendlyName=x\u0000y&N%00=1')).toEqual({ Body: 'a\uFFFDb', FriendlyName: 'x\uFFFDy', 'N\uFFFD': '1' });
  });

  it('does not let parameter names reach the object prototype', () => {
    const parsed = parseForm('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(parsed.__proto__).toBe('x');
  });
});
