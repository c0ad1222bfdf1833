import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../domain/message.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { RecentMessages } from './recent-messages.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-recent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);
const P = '11111111-1111-4111-8111-111111111111';

function message(): NewMessage {
  return {
    id: randomUUID(), projectId: P, direction: 'outbound', origin: 'rest', from: '+15550000001', to: '+15551230000', body: 'hi', media: [], kind: 'sms', encoding: 'GSM-7', segments: 1,
    status: 'initiated', errorCode: null, errorMessage: null, reason: null, statusCallback: null, callbackFormat: null, customVariables: null, context: null, tags: [], numberGroupId: null,
    applicationId: null, price: null, priceUnit: 'USD', maxPrice: null, validityPeriod: 14_400, expiresAt: T0 + 14_400_000, carrier: null, carrierMessageId: null, createdAt: T0, updatedAt: T0,
    sentAt: null, redactedAt: null, deletedAt: null, cxmlSession: null, relaySender: null,
  };
}

describe('RecentMessages.complete', () => {
  it('keeps each state of a message changed twice in one batch when the record is not cached (accepted on another node)', async () => {
    const store = await openSqliteStore({ file: join(dir, 'a.sqlite') });
    try {
      const [m] = await store.messages.insertMany([message()]);
      const states = await store.messages.transitionMany([
        { projectId: P, id: m!.id, to: 'sent', at: T0 + 1 },
        { projectId: P, id: m!.id, to: 'delivered', at: T0 + 2 },
      ]);
      const records = await store.transaction((tx) => new RecentMessages().complete(tx, states));
      expect(records.map((r) => r.status)).toEqual(['sent', 'delivered']);
      expect(records.every((r) => r.body === 'hi' && r.id === m!.id)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
