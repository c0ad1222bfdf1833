/** Messages through a test server: sent over the native REST API, or written straight into its store. */
import { isMessageStatus, isTerminalStatus } from '@switchboard/protocol';
import { expect } from 'vitest';
import type { MessageRecord, NewMessage } from '../../src/domain/message.js';
import { eventually, NUMBERS, PROJECT_ID, type TestServer } from './server.js';

/**
 * Send through the native REST API (from the server's first number, body "Hello", unless `body`
 * says otherwise) and return the Message; fails the test unless it is accepted (201).
 */
export async function sendMessage(server: TestServer, body: Record<string, unknown>, auth?: string): Promise<any> {
  const res = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], body: 'Hello', ...body }, ...(auth ? { auth } : {}) });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** Wait until the stored message has `status` (default `delivered`). */
export async function waitForStatus(server: TestServer, id: string, status = 'delivered', opts: { projectId?: string; timeoutMs?: number } = {}): Promise<void> {
  await eventually(async () => ((await server.store.messages.get(opts.projectId ?? PROJECT_ID, id))?.status === status ? true : undefined), opts.timeoutMs, `${id} to be ${status}`);
}

/**
 * Wait until a message has ended, in a state it never leaves (delivered, undelivered, failed,
 * canceled; an MMS too ends delivered while simulator.mmsReceipts is on, the default); returns its
 * native log entry (read with `auth`, default the test project's).
 */
export async function waitForEnd(server: TestServer, id: string, timeoutMs = 10_000, auth?: string): Promise<any> {
  return eventually(async () => {
    const r = await server.api(`/api/messaging/logs/${id}`, auth ? { auth } : {});
    return isMessageStatus(r.body?.status) && isTerminalStatus(r.body.status) ? r.body : undefined;
  }, timeoutMs, `message ${id} to end`);
}

/**
 * Insert message rows (`messageRow` of helpers/records.ts) in the order given, so later ones are
 * newer in listings. They have no dispatch job, so the engine leaves them exactly as written: use
 * them for states and times the HTTP API cannot produce on demand (a message created last year,
 * one still waiting to be claimed).
 */
export async function insertMessages(server: TestServer, rows: readonly NewMessage[]): Promise<MessageRecord[]> {
  return server.store.messages.insertMany(rows);
}
