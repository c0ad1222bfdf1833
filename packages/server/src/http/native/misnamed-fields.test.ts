import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/app-error.js';
import { refuseMisnamedFields, refuseMisnamedGroupFields } from './misnamed-fields.js';

const refusal = (body: Record<string, unknown>) => {
  try {
    refuseMisnamedFields(body);
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.details[0]!.message : String(err);
  }
};

describe('refuseMisnamedFields', () => {
  it('names the field meant for a Twilio, camelCase or _url spelling of a send field', () => {
    expect(refusal({ to: '+15550000001', media_url: ['https://example.com/a.png'] })).toMatch(/^Unknown field 'media_url': did you mean 'media'\?/);
    expect(refusal({ MediaUrl: 'x' })).toMatch(/did you mean 'media'/);
    expect(refusal({ statusCallback: 'x' })).toMatch(/'statusCallback': did you mean 'status_callback'/);
    expect(refusal({ StatusCallbackUrl: 'x' })).toMatch(/did you mean 'status_callback'/);
    expect(refusal({ sendAt: 'x' })).toMatch(/did you mean 'send_at'/);
    expect(refusal({ To: '+15550000001' })).toMatch(/did you mean 'to'/);
  });

  it('lets the fields themselves and unrelated extras through', () => {
    expect(refusal({ to: 'a', from: 'b', body: 'c', media: [], send_as_mms: true, status_callback: 'u', custom_variables: {}, smart_encoded: false, send_at: 's', validity_period: 1 })).toBeUndefined();
    expect(refusal({ to: 'a', region: 'us', tags: ['x'], context: 'office', topic: 't' })).toBeUndefined();
  });
});

describe('refuseMisnamedGroupFields', () => {
  const groupRefusal = (body: Record<string, unknown>) => {
    try {
      refuseMisnamedGroupFields(body);
      return undefined;
    } catch (err) {
      return err instanceof AppError ? err.details[0]!.message : String(err);
    }
  };
  it("names the number group's field meant, and lets the fields, the read-only ones and other extras through", () => {
    expect(groupRefusal({ name: 'x', stickySender: true })).toBe("Unknown field 'stickySender': did you mean 'sticky_sender'? A number group takes name, sticky_sender.");
    expect(groupRefusal({ FriendlyName: 'x' })).toMatch(/did you mean 'name'/);
    expect(groupRefusal({ 'sticky-sender': true })).toMatch(/did you mean 'sticky_sender'/);
    expect(groupRefusal({ id: 'g', name: 'x', sticky_sender: false, phone_number_count: 3, created_at: 'c', updated_at: 'u', region: 'us' })).toBeUndefined();
  });
});
