import { describe, expect, it } from 'vitest';
import { checkCapabilities, checkNumberPatch, relayContextOf } from './number-rules.js';

const attributes = (errors: ReadonlyArray<{ key: string; attribute: string | null }>) => errors.map((e) => [e.key, e.attribute]);

describe('checkCapabilities', () => {
  it('accepts known capabilities and drops repeats', () => {
    expect(checkCapabilities(['sms', 'mms', 'sms', 'fax', 'voice'])).toEqual({ value: ['sms', 'mms', 'fax', 'voice'], errors: [] });
    expect(checkCapabilities([])).toEqual({ value: [], errors: [] });
  });

  it.each([['sms', 'video'], ['SMS'], [1], 'sms', null, undefined, { sms: true }])('refuses %j', (value) => {
    const r = checkCapabilities(value);
    expect(r.value).toBeUndefined();
    expect(attributes(r.errors)).toEqual([['NUMBER_FIELD_INVALID', 'capabilities']]);
  });
});

describe('checkNumberPatch', () => {
  it('turns wire names into a patch of only the fields given', () => {
    const { patch, errors } = checkNumberPatch({
      name: 'Support',
      capabilities: ['sms'],
      message_handler: 'laml_webhooks',
      message_request_url: 'https://example.com/in',
      message_request_method: 'get',
      message_fallback_url: 'http://example.com/fallback',
      message_fallback_method: 'Post',
      message_laml_application_id: 'app',
      message_relay_topic: 'topic',
      message_relay_context: 'office',
      messaging_handler_resource_id: 'res',
    });
    expect(errors).toEqual([]);
    expect(patch).toEqual({
      name: 'Support',
      capabilities: ['sms'],
      messageHandler: 'laml_webhooks',
      messageRequestUrl: 'https://example.com/in',
      messageRequestMethod: 'GET',
      messageFallbackUrl: 'http://example.com/fallback',
      messageFallbackMethod: 'POST',
      messageLamlApplicationId: 'app',
      messageRelayTopic: 'topic',
      messageRelayContext: 'office',
      messagingHandlerResourceId: 'res',
    });
  });

  it('ignores unknown and undefined fields', () => {
    expect(checkNumberPatch({ colour: 'blue', name: undefined, number: '+15550000000' })).toEqual({ patch: {}, errors: [] });
  });

  it('clears names, URLs and handler fields given as null or empty', () => {
    const { patch, errors } = checkNumberPatch({ name: '', message_handler: null, message_request_url: '', message_fallback_url: null, message_relay_topic: '', message_relay_context: null });
    expect(errors).toEqual([]);
    expect(patch).toEqual({ name: null, messageHandler: null, messageRequestUrl: null, messageFallbackUrl: null, messageRelayTopic: null, messageRelayContext: null });
  });

  it('takes message_relay_application as the relay context', () => {
    expect(checkNumberPatch({ message_relay_application: 'app-ctx' }).patch).toEqual({ messageRelayContext: 'app-ctx' });
  });

  it('accepts every documented message handler', () => {
    for (const h of ['relay_context', 'relay_topic', 'relay_application', 'laml_webhooks', 'laml_application']) {
      expect(checkNumberPatch({ message_handler: h })).toEqual({ patch: { messageHandler: h }, errors: [] });
    }
  });

  it('accepts a name of 255 characters and refuses 256', () => {
    expect(checkNumberPatch({ name: 'n'.repeat(255) }).errors).toEqual([]);
    expect(attributes(checkNumberPatch({ name: 'n'.repeat(256) }).errors)).toEqual([['NUMBER_FIELD_INVALID', 'name']]);
  });

  it('reports every bad field with its wire name, and leaves them out of the patch', () => {
    const { patch, errors } = checkNumberPatch({
      name: 5,
      capabilities: ['telepathy'],
      message_handler: 'email',
      message_request_url: 'ftp://example.com',
      message_fallback_url: 'nope',
      message_request_method: 'PUT',
      message_fallback_method: 1,
      message_relay_topic: 'x'.repeat(256),
      message_laml_application_id: 7,
      messaging_handler_resource_id: {},
      message_relay_context: 'fine',
    });
    expect(attributes(errors)).toEqual([
      ['NUMBER_FIELD_INVALID', 'name'],
      ['NUMBER_FIELD_INVALID', 'capabilities'],
      ['NUMBER_FIELD_INVALID', 'message_handler'],
      ['WEBHOOK_URL_INVALID', 'message_request_url'],
      ['WEBHOOK_URL_INVALID', 'message_fallback_url'],
      ['NUMBER_FIELD_INVALID', 'message_request_method'],
      ['NUMBER_FIELD_INVALID', 'message_fallback_method'],
      ['NUMBER_FIELD_INVALID', 'message_laml_application_id'],
      ['NUMBER_FIELD_INVALID', 'message_relay_topic'],
      ['NUMBER_FIELD_INVALID', 'messaging_handler_resource_id'],
    ]);
    expect(patch).toEqual({ messageRelayContext: 'fine' });
    // Each message says what is expected of that field rather than the catalogue's generic text.
    for (const e of errors) expect(e.message).not.toBe('A phone number field has an invalid value.');
    expect(new Set(errors.map((e) => e.message)).size).toBeGreaterThan(5);
  });
});

describe('relayContextOf', () => {
  const number = (messageHandler: string | null, messageRelayContext: string | null, messageRelayTopic: string | null) => ({ messageHandler, messageRelayContext, messageRelayTopic }) as Parameters<typeof relayContextOf>[0];

  it("routes by the handler's own field, the other one only when it is empty", () => {
    expect(relayContextOf(number('relay_topic', 'default', 'sales'))).toBe('sales');
    expect(relayContextOf(number('relay_topic', 'default', null))).toBe('default');
    expect(relayContextOf(number('relay_context', 'office', 'sales'))).toBe('office');
    expect(relayContextOf(number('relay_application', 'app', 'sales'))).toBe('app');
    expect(relayContextOf(number('relay_context', null, 'sales'))).toBe('sales');
    expect(relayContextOf(number('relay_topic', null, null))).toBeNull();
  });

  it('gives none to a number whose handler is not a RELAY one, whatever it still stores', () => {
    for (const h of ['laml_webhooks', 'laml_application', null]) expect(relayContextOf(number(h, 'office', 'sales'))).toBeNull();
  });
});
