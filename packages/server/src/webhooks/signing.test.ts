import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signFormRequest, signJsonRequest, wireRequest } from './signing.js';

// Test vectors of rest-apis §B.10.
const FORM_KEY = '12345';
const FORM_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const FORM_PARAMS: ReadonlyArray<readonly [string, string]> = [
  ['CallSid', 'CA1234567890ABCDE'],
  ['Caller', '+14158675309'],
  ['Digits', '1234'],
  ['From', '+14158675309'],
  ['To', '+18005551212'],
];

const JSON_KEY = 'PSK_7TruNcSNTxp4zNrykMj4EPzF';
const JSON_URL = 'https://81f2-2-45-18-191.ngrok-free.app/';
// The exact raw body of SignalWire's own validator test (signalwire-js, packages/web-api/src/validateRequest.test.ts).
const JSON_RAW_BODY =
  '{"call":{"call_id":"b5d63b2e-f75b-4dc8-b6d4-269b635f96c0","node_id":"fa3570ae-f8bd-42c2-83f4-9950d906c91b@us-west","segment_id":"b5d63b2e-f75b-4dc8-b6d4-269b635f96c0","call_state":"created","direction":"inbound","type":"phone","from":"+12135877632","to":"+12089806814","from_number":"+12135877632","to_number":"+12089806814","project_id":"4b7ae78a-d02e-4889-a63b-08b156d5916e","space_id":"62615f44-2a34-4235-b38b-76b5a1de6ef8"},"vars":{}}';

describe('form request signatures (Compatibility API)', () => {
  it('match the published vector', () => {
    expect(signFormRequest(FORM_KEY, FORM_URL, FORM_PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('match the second published vector', () => {
    const params = FORM_PARAMS.map(([k, v]) => [k, k === 'Caller' || k === 'From' ? '+12349013030' : v] as const);
    expect(signFormRequest(FORM_KEY, FORM_URL, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('do not depend on the order parameters are given in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...FORM_PARAMS], { minLength: FORM_PARAMS.length }), (shuffled) => {
        expect(signFormRequest(FORM_KEY, FORM_URL, shuffled)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
      }),
    );
  });

  it('sort names byte-wise, so upper case comes before lower case', () => {
    const expected = createHmac('sha1', 'k').update('https://x.test/Zeta1alpha2').digest('base64');
    expect(signFormRequest('k', 'https://x.test/', [['alpha', '2'], ['Zeta', '1']])).toBe(expected);
  });

  it('keep the given order of the values of a repeated name', () => {
    const ab = signFormRequest('k', 'https://x.test/', [['m', 'a'], ['m', 'b']]);
    const ba = signFormRequest('k', 'https://x.test/', [['m', 'b'], ['m', 'a']]);
    expect(ab).toBe(createHmac('sha1', 'k').update('https://x.test/mamb').digest('base64'));
    expect(ab).not.toBe(ba);
  });

  it('sign the URL alone when there are no parameters (GET with the query in the URL)', () => {
    expect(signFormRequest('k', 'https://x.test/cb?a=1', [])).toBe(createHmac('sha1', 'k').update('https://x.test/cb?a=1').digest('base64'));
  });

  it('change with the key, the URL and any value', () => {
    const base = signFormRequest(FORM_KEY, FORM_URL, FORM_PARAMS);
    expect(signFormRequest('12346', FORM_URL, FORM_PARAMS)).not.toBe(base);
    expect(signFormRequest(FORM_KEY, FORM_URL.replace('foo=1', 'foo=2'), FORM_PARAMS)).not.toBe(base);
    expect(signFormRequest(FORM_KEY, FORM_URL, [...FORM_PARAMS.slice(0, 4), ['To', '+18005551213']])).not.toBe(base);
  });

  it('sign UTF-8 text', () => {
    expect(signFormRequest('k', 'https://x.test/', [['Body', 'héllo ✓']])).toBe(createHmac('sha1', 'k').update(Buffer.from('https://x.test/Bodyhéllo ✓', 'utf8')).digest('base64'));
  });
});

describe('JSON request signatures (native and RELAY)', () => {
  it('match SignalWire’s published vector', () => {
    expect(signJsonRequest(JSON_KEY, JSON_URL, JSON_RAW_BODY)).toBe('b18500437ebb010220ddd770cbe6fd531ea0ba0d');
  });

  it('cover the exact raw body and the URL', () => {
    expect(signJsonRequest('PSK_foo', JSON_URL, JSON_RAW_BODY)).not.toBe('b18500437ebb010220ddd770cbe6fd531ea0ba0d');
    expect(signJsonRequest(JSON_KEY, `${JSON_URL}bar?q=hello`, JSON_RAW_BODY)).not.toBe('b18500437ebb010220ddd770cbe6fd531ea0ba0d');
    expect(signJsonRequest(JSON_KEY, JSON_URL, '{"foo":"bar"}')).not.toBe('b18500437ebb010220ddd770cbe6fd531ea0ba0d');
    // Re-serialising the same JSON with other spacing changes the signature: sign the bytes sent.
    expect(signJsonRequest(JSON_KEY, JSON_URL, JSON.stringify(JSON.parse(JSON_RAW_BODY), null, 1))).not.toBe('b18500437ebb010220ddd770cbe6fd531ea0ba0d');
  });

  it('are 40 lower-case hex digits', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (key, url, body) => /^[0-9a-f]{40}$/.test(signJsonRequest(key || 'k', url, body))));
  });
});

describe('the wire form of a configured URL', () => {
  it('leaves a #fragment out, of the signature and of the request: a GET\'s parameters do not land in it', () => {
    const form = { signature: 'form-base64' as const, contentType: null, body: 'MessageSid=SM1&MessageStatus=sent' };
    const get = wireRequest(form, 'https://example.com/cb?x=1#frag', 'GET', FORM_KEY);
    expect(get.requestUrl).toBe('https://example.com/cb?x=1&MessageSid=SM1&MessageStatus=sent');
    expect(get.signature).toBe(wireRequest(form, 'https://example.com/cb?x=1', 'GET', FORM_KEY).signature);
    const post = wireRequest(form, 'https://example.com/cb#frag', 'POST', FORM_KEY);
    expect(post.requestUrl).toBe('https://example.com/cb');
    expect(post.signature).toBe(signFormRequest(FORM_KEY, 'https://example.com/cb', [['MessageSid', 'SM1'], ['MessageStatus', 'sent']]));
    const json = wireRequest({ signature: 'json-hex', contentType: 'application/json', body: '{}' }, 'https://example.com/cb#frag', 'POST', JSON_KEY);
    expect([json.requestUrl, json.signature]).toEqual(['https://example.com/cb', signJsonRequest(JSON_KEY, 'https://example.com/cb', '{}')]);
  });
});
