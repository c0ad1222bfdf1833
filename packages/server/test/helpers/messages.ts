/**
 * Message rows written straight into a test server's store, for states and times the HTTP API
 * cannot produce on demand (a message created last year, one still waiting to be claimed).
 * They have no dispatch job, so the engine leaves them exactly as written.
 */
import { randomUUID } from 'node:crypto';
import type { MessageRecord, NewMessage } from '../../src/domain/message.js';
import type { TestServer } from './server.js';

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

/** Insert message rows (in the order given, so later ones are newer in listings). */
export async function insertMessages(server: TestServer, rows: readonly NewMessage[]): Promise<MessageRecord[]> {
  return server.store.messages.insertMany(rows);
}
