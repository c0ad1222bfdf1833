import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/app-error.js';
import { toSendFailure, toSendInput } from './send-mapping.js';

const base = { to_number: '+15557654321', from_number: '+15551230001', body: 'hi' };

/** The RELAY result a send with these params is refused with, or undefined when it is mapped. */
function refusal(params: Record<string, unknown>) {
  try {
    toSendInput(params);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return toSendFailure(err as AppError);
  }
}

describe('messaging.send params', () => {
  it('maps the params it takes, and ignores other extras as clients may send them', () => {
    expect(refusal({ ...base, media: ['https://example.com/a.png'], context: 'office', tags: ['a'], region: 'us', agent: 'x', eventing: [] })).toBeUndefined();
  });

  it('refuses the REST APIs\' scheduling and expiry fields rather than send at once a message meant for later', () => {
    for (const name of ['send_at', 'sendAt', 'SendAt', 'validity_period', 'ValidityPeriod', 'schedule_type', 'ScheduleType']) {
      const failure = refusal({ ...base, [name]: name.toLowerCase().includes('validity') ? 60 : '2030-01-01T00:00:00Z' });
      expect(failure?.code).toBe('400');
      expect(failure?.data[name]?.[0]).toMatch(/RELAY sends at once and does not schedule or expire messages/);
    }
  });

  it('refuses a param it takes spelt another way, naming the one meant, rather than drop it', () => {
    const failure = refusal({ ...base, media_url: ['https://example.com/a.png'], statusCallback: 'https://example.com/cb' });
    expect(failure?.code).toBe('400');
    expect(failure?.data.media_url).toEqual([expect.stringMatching(/^Unknown param 'media_url': did you mean 'media'\?/)]);
    expect(failure?.data.statusCallback).toEqual([expect.stringMatching(/did you mean 'status_callback'\?/)]);
  });
});
