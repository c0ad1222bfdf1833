import { MAX_BODY_LENGTH } from '@switchboard/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VALIDITY_PERIOD, MAX_VALIDITY_PERIOD } from './message.js';
import { checkContent, checkDestination, checkSenderSyntax, type SendInput, type SendRules } from './send-request.js';

const lenient: SendRules = { refusePrivateCallbacks: false };
const strict: SendRules = { refusePrivateCallbacks: true };

function input(overrides: Partial<SendInput> = {}): SendInput {
  return { to: '+15551234567', from: '+15550000001', body: 'hello', media: undefined, callbackFormat: 'json', origin: 'rest', ...overrides };
}

const keys = (errors: ReadonlyArray<{ key: string }>) => errors.map((e) => e.key);

describe('checkDestination', () => {
  it.each([undefined, null, ''])('asks for a destination when it is %j', (to) => {
    expect(keys(checkDestination(to))).toEqual(['TO_REQUIRED']);
  });

  it.each(['+15551234567', '+4477009001', '+12345', '+12345678901234567', '12345', '123456', '988', '+988', '9110'])('accepts %s', (to) => {
    expect(checkDestination(to)).toEqual([]);
  });

  it.each(['12', '+1', '+0123456789', '+123456789012345678', '1234567', 'abc', '+1 555 123 4567', ' +15551234567'])('refuses %s as not a phone number', (to) => {
    const [error, ...rest] = checkDestination(to);
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ key: 'TO_INVALID', attribute: 'to' });
    expect(error!.message).toContain(to);
  });

  it('refuses a non-string destination and shows what it got', () => {
    const [error] = checkDestination(15551234567);
    expect(error).toMatchObject({ key: 'TO_INVALID' });
    expect(error!.message).toContain('15551234567');
    expect(keys(checkDestination({ number: '+15551234567' }))).toEqual(['TO_INVALID']);
  });
});

describe('checkSenderSyntax', () => {
  it.each([undefined, null, ''])('asks for a sender when it is %j and no number group is given', (from) => {
    expect(keys(checkSenderSyntax(from, false))).toEqual(['FROM_REQUIRED']);
  });

  it('lets a number group choose the sender', () => {
    expect(checkSenderSyntax(undefined, true)).toEqual([]);
    expect(checkSenderSyntax('', true)).toEqual([]);
  });

  it('accepts E.164 numbers and short codes', () => {
    expect(checkSenderSyntax('+15550000001', false)).toEqual([]);
    expect(checkSenderSyntax('12345', false)).toEqual([]);
    expect(checkSenderSyntax('123456', false)).toEqual([]);
  });

  it.each(['988', '+988', 'alpha', '+0155500', 15550000001])('refuses %j as a sender, even with a number group', (from) => {
    expect(checkSenderSyntax(from, false)).toMatchObject([{ key: 'FROM_INVALID', attribute: 'from' }]);
    expect(keys(checkSenderSyntax(from, true))).toEqual(['FROM_INVALID']);
  });
});

describe('checkContent', () => {
  describe('body and media', () => {
    it('accepts a text body and plans it as one GSM-7 SMS segment', () => {
      const { errors, value } = checkContent(input({ body: 'hello' }), lenient);
      expect(errors).toEqual([]);
      expect(value).toEqual({ body: 'hello', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, statusCallback: null, customVariables: null, validityPeriod: DEFAULT_VALIDITY_PERIOD });
    });

    it('plans long and Unicode bodies with the segment rules', () => {
      expect(checkContent(input({ body: 'a'.repeat(161) }), lenient).value).toMatchObject({ encoding: 'GSM-7', segments: 2 });
      expect(checkContent(input({ body: 'ç'.repeat(71) }), lenient).value).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    });

    it('makes a message with media an MMS, with or without a body', () => {
      expect(checkContent(input({ body: undefined, media: ['https://example.com/cat.png'] }), lenient).value).toMatchObject({ kind: 'mms', body: '', media: ['https://example.com/cat.png'] });
      expect(checkContent(input({ body: 'look', media: ['http://example.com/a.gif'] }), lenient).value).toMatchObject({ kind: 'mms', body: 'look' });
    });

    it('makes an MMS of a text body when send_as_mms is true', () => {
      expect(checkContent(input({ sendAsMms: true }), lenient).value).toMatchObject({ kind: 'mms' });
      expect(checkContent(input({ sendAsMms: false }), lenient).value).toMatchObject({ kind: 'sms' });
    });

    it.each([
      [undefined, undefined],
      [null, null],
      ['', []],
    ])('asks for a body or media when body is %j and media %j', (body, media) => {
      expect(keys(checkContent(input({ body, media }), lenient).errors)).toEqual(['BODY_OR_MEDIA_REQUIRED']);
    });

    it('refuses a body that is not a string, without also asking for one', () => {
      expect(keys(checkContent(input({ body: 42 }), lenient).errors)).toEqual(['BODY_INVALID']);
      expect(keys(checkContent(input({ body: ['a'] }), lenient).errors)).toEqual(['BODY_INVALID']);
    });

    it('refuses media that is not a list', () => {
      expect(keys(checkContent(input({ media: 'https://example.com/a.png' }), lenient).errors)).toEqual(['MEDIA_URL_INVALID']);
    });

    it('accepts eight media URLs and refuses nine with the limit in the message', () => {
      const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://example.com/${i}.png`);
      expect(checkContent(input({ media: urls(8) }), lenient).errors).toEqual([]);
      const [error] = checkContent(input({ media: urls(9) }), lenient).errors;
      expect(error).toMatchObject({ key: 'MEDIA_LIMIT_EXCEEDED', attribute: 'media' });
      expect(error!.message).toContain('8');
    });

    it.each(['ftp://example.com/a.png', '/relative.png', 'not a url', 42, null, 'javascript:alert(1)'])('refuses the media URL %j once, however many are bad', (bad) => {
      const { errors } = checkContent(input({ media: ['https://example.com/ok.png', bad, bad] }), lenient);
      expect(keys(errors)).toEqual(['MEDIA_URL_INVALID']);
    });

    it(`accepts a body of exactly ${MAX_BODY_LENGTH} characters and refuses one more`, () => {
      expect(checkContent(input({ body: 'a'.repeat(MAX_BODY_LENGTH) }), lenient).errors).toEqual([]);
      const [error] = checkContent(input({ body: 'a'.repeat(MAX_BODY_LENGTH + 1) }), lenient).errors;
      expect(error).toMatchObject({ key: 'BODY_TOO_LONG', attribute: 'body' });
      expect(error!.message).toContain(String(MAX_BODY_LENGTH + 1));
    });

    it('counts UTF-16 code units against the body limit, so an emoji counts twice', () => {
      expect(checkContent(input({ body: '😀'.repeat(MAX_BODY_LENGTH / 2) }), lenient).errors).toEqual([]);
      expect(keys(checkContent(input({ body: '😀'.repeat(MAX_BODY_LENGTH / 2) + 'a' }), lenient).errors)).toEqual(['BODY_TOO_LONG']);
    });

    it.each(['true', 1, 'yes'])('refuses send_as_mms %j that is not a boolean', (value) => {
      expect(keys(checkContent(input({ sendAsMms: value }), lenient).errors)).toEqual(['SEND_AS_MMS_INVALID']);
    });
  });

  describe('status callback', () => {
    it('keeps an http(s) callback URL as given', () => {
      expect(checkContent(input({ statusCallback: 'https://example.com/cb?x=1' }), strict).value?.statusCallback).toBe('https://example.com/cb?x=1');
    });

    it.each([undefined, null, ''])('treats %j as no callback', (statusCallback) => {
      expect(checkContent(input({ statusCallback }), strict).value?.statusCallback).toBeNull();
    });

    it.each(['example.com/cb', 'ftp://example.com/cb', 42, 'https://'])('refuses %j as a callback URL', (statusCallback) => {
      expect(checkContent(input({ statusCallback }), lenient).errors).toMatchObject([{ key: 'STATUS_CALLBACK_INVALID', attribute: 'status_callback' }]);
    });

    it('refuses private-network callbacks only when configured to', () => {
      expect(keys(checkContent(input({ statusCallback: 'http://127.0.0.1:3000/cb' }), strict).errors)).toEqual(['URL_UNSAFE']);
      expect(keys(checkContent(input({ statusCallback: 'http://localhost/cb' }), strict).errors)).toEqual(['URL_UNSAFE']);
      expect(checkContent(input({ statusCallback: 'http://127.0.0.1:3000/cb' }), lenient).value?.statusCallback).toBe('http://127.0.0.1:3000/cb');
    });
  });

  describe('custom variables', () => {
    it('returns valid custom variables', () => {
      expect(checkContent(input({ customVariables: { order: '42' } }), lenient).value?.customVariables).toEqual({ order: '42' });
    });

    it('reports every custom-variable problem', () => {
      expect(keys(checkContent(input({ customVariables: { '1bad': 'x', sw_x: 'y', ok: '' } }), lenient).errors)).toEqual([
        'CUSTOM_VARIABLE_NAME_INVALID',
        'CUSTOM_VARIABLE_NAME_RESERVED',
        'CUSTOM_VARIABLE_VALUE_INVALID',
      ]);
    });
  });

  describe('validity period', () => {
    it('defaults to four hours', () => {
      expect(checkContent(input(), lenient).value?.validityPeriod).toBe(DEFAULT_VALIDITY_PERIOD);
      expect(checkContent(input({ validityPeriod: null }), lenient).value?.validityPeriod).toBe(DEFAULT_VALIDITY_PERIOD);
      expect(checkContent(input({ validityPeriod: '' }), lenient).value?.validityPeriod).toBe(DEFAULT_VALIDITY_PERIOD);
    });

    it('accepts whole seconds from 1 to 48 hours, as a number or a digit string', () => {
      expect(checkContent(input({ validityPeriod: 1 }), lenient).value?.validityPeriod).toBe(1);
      expect(checkContent(input({ validityPeriod: MAX_VALIDITY_PERIOD }), lenient).value?.validityPeriod).toBe(MAX_VALIDITY_PERIOD);
      expect(checkContent(input({ validityPeriod: '600' }), lenient).value?.validityPeriod).toBe(600);
    });

    it.each([0, -1, MAX_VALIDITY_PERIOD + 1, 1.5, '1.5', '-5', 'abc', true, [60]])('refuses %j', (validityPeriod) => {
      expect(checkContent(input({ validityPeriod }), lenient).errors).toMatchObject([{ key: 'VALIDITY_PERIOD_INVALID', attribute: 'validity_period' }]);
    });
  });

  it('reports every problem at once, in the documented order, and no value', () => {
    const result = checkContent(
      input({
        body: 'x'.repeat(MAX_BODY_LENGTH + 1),
        media: ['nope'],
        sendAsMms: 'yes',
        statusCallback: 'nope',
        customVariables: [],
        validityPeriod: 0,
      }),
      lenient,
    );
    expect(keys(result.errors)).toEqual(['MEDIA_URL_INVALID', 'BODY_TOO_LONG', 'SEND_AS_MMS_INVALID', 'STATUS_CALLBACK_INVALID', 'CUSTOM_VARIABLES_NOT_OBJECT', 'VALIDITY_PERIOD_INVALID']);
    expect(result.value).toBeUndefined();
  });

  it('puts a body error before media-count and validity errors', () => {
    const tooMany = Array.from({ length: 9 }, () => 'https://example.com/a.png');
    expect(keys(checkContent(input({ body: 5, media: tooMany, validityPeriod: -1 }), lenient).errors)).toEqual(['BODY_INVALID', 'MEDIA_LIMIT_EXCEEDED', 'VALIDITY_PERIOD_INVALID']);
  });

  it('never throws and always returns either errors or a value (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), (body, media, sendAsMms, statusCallback, customVariables, validityPeriod) => {
        const r = checkContent(input({ body, media, sendAsMms, statusCallback, customVariables, validityPeriod }), strict);
        expect(r.errors.length > 0).toBe(r.value === undefined);
      }),
      { numRuns: 300 },
    );
  });
});
