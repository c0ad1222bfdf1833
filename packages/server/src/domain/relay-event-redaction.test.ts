import { describe, expect, it } from 'vitest';
import { relayEventWithoutText } from './relay-event-redaction.js';

const event = (type: string, params: Record<string, unknown>) => JSON.stringify({ event_type: type, params });

describe('relayEventWithoutText', () => {
  it("blanks the body of that message's messaging events, and leaves everything else", () => {
    const receive = event('messaging.receive', { message_id: 'm1', body: 'secret', context: 'office' });
    expect(JSON.parse(relayEventWithoutText(receive, 'm1')!)).toEqual({ event_type: 'messaging.receive', params: { message_id: 'm1', body: '', context: 'office' } });
    expect(relayEventWithoutText(event('messaging.state', { message_id: 'm1', body: 'secret' }), 'm1')).toContain('"body":""');
    // Another message, an event already without text, another kind of event: untouched.
    expect(relayEventWithoutText(receive, 'm2')).toBeUndefined();
    expect(relayEventWithoutText(event('messaging.receive', { message_id: 'm1', body: '' }), 'm1')).toBeUndefined();
    expect(relayEventWithoutText(event('signalwire.authorization.state', { message_id: 'm1', body: 'x' }), 'm1')).toBeUndefined();
  });
});
