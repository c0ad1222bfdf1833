import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formBody, rawDlrDoneDate } from './compat-form.js';

/** The reference: what `URLSearchParams` writes. */
function reference(params: Record<string, string | undefined>): string {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.append(k, v);
  return form.toString();
}

describe('formBody', () => {
  it('writes what URLSearchParams writes', () => {
    const params = { MessageSid: 'SM1', Body: "Hi! it's (1+1)*2 ~ 100% café 😀 a_b-c.d", To: '+15551234567', Empty: '', Skipped: undefined, 'Odd Name!': 'x=y&z' };
    expect(formBody(params)).toBe(reference(params));
    expect(formBody(params)).toBe("MessageSid=SM1&Body=Hi%21+it%27s+%281%2B1%29*2+%7E+100%25+caf%C3%A9+%F0%9F%98%80+a_b-c.d&To=%2B15551234567&Empty=&Odd+Name%21=x%3Dy%26z");
  });

  it('writes what URLSearchParams writes for any text, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.option(fc.string({ unit: 'binary' }), { nil: undefined })), (params) => {
        expect(formBody(params)).toBe(reference(params));
      }),
      { numRuns: 500 },
    );
    expect(formBody({ Body: 'a\uD800b' })).toBe('Body=a%EF%BF%BDb');
  });
});

describe('rawDlrDoneDate', () => {
  it('writes the minute as YYMMDDhhmm in UTC, kept while the minute lasts', () => {
    const at = Date.UTC(2026, 11, 6, 7, 41, 59, 999);
    expect(rawDlrDoneDate(at)).toBe('2612060741');
    expect(rawDlrDoneDate(at - 59_999)).toBe('2612060741');
    expect(rawDlrDoneDate(at + 1)).toBe('2612060742');
    expect(rawDlrDoneDate(Date.UTC(1999, 0, 1, 0, 0))).toBe('9901010000');
    expect(rawDlrDoneDate(at)).toBe('2612060741');
  });
});
