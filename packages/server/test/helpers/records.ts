/**
 * Complete store records with plain defaults, for tests that write through the store port (the
 * store contracts, and server tests that need states or times the HTTP API cannot produce).
 * Override what the test is about; times default to now.
 */
import { randomUUID } from 'node:crypto';
import type { NewMessage } from '../../src/domain/message.js';
import { newOutboundMessage } from '../../src/domain/new-message.js';
import type { PhoneNumberRecord } from '../../src/domain/project.js';
import { OUTBOX_RETRY_POLICY, type NewWebhookDelivery } from '../../src/domain/webhooks.js';

export function messageRow(projectId: string, overrides: Partial<NewMessage> = {}): NewMessage {
  const at = overrides.createdAt ?? Date.now();
  // Built by the engine's own factory, then moved to the state the test is about.
  const queued = newOutboundMessage({
    id: randomUUID(),
    projectId,
    origin: 'rest',
    from: '+15551230001',
    to: '+15557654321',
    body: 'stored directly',
    media: [],
    kind: 'sms',
    encoding: 'GSM-7',
    segments: 1,
    at,
  });
  return { ...queued, status: 'delivered', ...overrides };
}

export function phoneNumberRow(projectId: string, number: string, overrides: Partial<PhoneNumberRecord> = {}): PhoneNumberRecord {
  const at = overrides.createdAt ?? Date.now();
  return {
    id: randomUUID(),
    projectId,
    number,
    name: null,
    numberType: 'longcode',
    countryCode: 'US',
    capabilities: ['voice', 'sms', 'mms'],
    messageHandler: null,
    messageRequestUrl: null,
    messageRequestMethod: 'POST',
    messageFallbackUrl: null,
    messageFallbackMethod: 'POST',
    messageLamlApplicationId: null,
    messageRelayTopic: null,
    messageRelayContext: null,
    messagingHandlerResourceId: null,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/** A status callback of its own message (JSON, signed), under the outbox's retry policy. */
export function deliveryRow(projectId: string, overrides: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery {
  return {
    projectId,
    messageId: randomUUID(),
    kind: 'status_callback',
    url: 'https://example.com/status',
    method: 'POST',
    contentType: 'application/json',
    body: '{}',
    signature: 'json-hex',
    fallbackUrl: null,
    fallbackMethod: null,
    maxAttempts: OUTBOX_RETRY_POLICY,
    nextAttemptAt: Date.now(),
    ...overrides,
  };
}
