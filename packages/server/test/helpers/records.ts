/**
 * Complete store records with plain defaults, for tests that write through the store port (the
 * store contracts, and server tests that need states or times the HTTP API cannot produce).
 * Override what the test is about; times default to now.
 */
import { randomUUID } from 'node:crypto';
import type { NewMessage } from '../../src/domain/message.js';
import type { PhoneNumberRecord } from '../../src/domain/project.js';

export function messageRow(projectId: string, overrides: Partial<NewMessage> = {}): NewMessage {
  const at = overrides.createdAt ?? Date.now();
  return {
    id: randomUUID(),
    projectId,
    direction: 'outbound',
    origin: 'rest',
    from: '+15551230001',
    to: '+15557654321',
    body: 'stored directly',
    media: [],
    kind: 'sms',
    encoding: 'GSM-7',
    segments: 1,
    status: 'delivered',
    errorCode: null,
    errorMessage: null,
    reason: null,
    statusCallback: null,
    callbackFormat: null,
    customVariables: null,
    context: null,
    tags: [],
    numberGroupId: null,
    applicationId: null,
    price: null,
    priceUnit: 'USD',
    maxPrice: null,
    validityPeriod: 14_400,
    expiresAt: at + 14_400_000,
    carrier: null,
    carrierMessageId: null,
    createdAt: at,
    updatedAt: at,
    sentAt: null,
    redactedAt: null,
    deletedAt: null,
    ...overrides,
  };
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
