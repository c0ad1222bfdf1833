import { describe, expect, it } from 'vitest';
import { withoutMessageText } from './webhook-redaction.js';

describe('withoutMessageText', () => {
  it('empties Body in a form and keeps every other field as it was written', () => {
    const body = 'MessageSid=m1&MessageStatus=delivered&From=%2B15551230001&Body=my+code+is+1234+%E2%82%AC&NumMedia=0&MediaUrl0=https%3A%2F%2Fx.example%2Fa.png';
    expect(withoutMessageText('form-base64', body)).toBe('MessageSid=m1&MessageStatus=delivered&From=%2B15551230001&Body=&NumMedia=0&MediaUrl0=https%3A%2F%2Fx.example%2Fa.png');
  });

  it('empties body in a native JSON callback, other fields unchanged', () => {
    const payload = { id: 'm1', status: 'delivered', body: 'secret 😀', number_of_segments: 1, error_code: null, custom_variables: { body: 'kept' } };
    expect(JSON.parse(withoutMessageText('json-hex', JSON.stringify(payload)))).toEqual({ ...payload, body: '' });
  });

  it('leaves a request with no text (or none to read) as it is', () => {
    for (const body of ['MessageSid=m1&Body=', 'MessageSid=m1', '']) expect(withoutMessageText('form-base64', body)).toBe(body);
    for (const body of ['{"id":"m1","body":""}', '{"id":"m1"}', '[1]', 'null', '{bad']) expect(withoutMessageText('json-hex', body)).toBe(body);
  });
});
