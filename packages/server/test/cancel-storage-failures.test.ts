/**
 * Canceling a scheduled message while storage takes no writes (a full SQLite disk, PostgreSQL
 * read-only): the cancel is answered 503 in each surface's shape at once, and nothing of it is
 * written later. A cancel went through the journal's state changes, which wait in memory and are
 * retried until storage is back: the request hung for as long as the disk stayed full (found with a
 * full file system under the built server), and the cancel its client took for failed was applied
 * once space came back. Storage that takes no writes is SQLite's `query_only` (SQLITE_READONLY, as a
 * full disk's SQLITE_FULL: reads still work, as they do there) or PostgreSQL's sessions started
 * read-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageReadOnly } from './helpers/store-outage.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

/** Longer than any refusal takes (PostgreSQL's first statements may meet a connection just ended); far shorter than "until storage is back". */
const ANSWER_BOUND_MS = 8_000;

describe('canceling a scheduled message while storage takes no writes', () => {
  let server: TestServer;

  const readOnly = (on: boolean) => storageReadOnly(server, on);

  /** The request's answer, or 'no answer' after `ANSWER_BOUND_MS`. */
  async function answered<T>(request: Promise<T>): Promise<T | 'no answer'> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'no answer'>((resolve) => (timer = setTimeout(() => resolve('no answer'), ANSWER_BOUND_MS)));
    try {
      return await Promise.race([request, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  const statusOf = async (id: string) => (await server.api(`/api/messaging/logs/${id}`)).body.status as string;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await readOnly(false).catch(() => undefined);
    await server?.stop();
  });

  it('answers 503 at once on both surfaces, writes nothing later, and cancels once storage is back', async () => {
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled: string[] = [];
    for (const to of ['+15557000801', '+15557000802']) {
      const r = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to, body: 'later', send_at: sendAt } });
      expect(r.status, r.text).toBe(201);
      scheduled.push(r.body.id);
    }
    const [nativeId, compatId] = scheduled as [string, string];

    await readOnly(true);
    // PostgreSQL: a read may first meet a pooled connection just ended.
    await eventually(async () => ((await server.api(`/api/messaging/logs/${nativeId}`)).status === 200 ? true : undefined), 10_000, 'reads answered');

    const native = await answered(server.api(`/api/messaging/messages/${nativeId}`, { method: 'PATCH', body: { status: 'canceled' } }));
    expect(native, 'the native cancel').not.toBe('no answer');
    if (native === 'no answer') return;
    expect(native.status, native.text).toBe(503);
    expect(native.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(native.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/temporarily unable/) });

    const compat = await answered(
      server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${compatId}.json`, {
        body: new URLSearchParams({ Status: 'canceled' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(compat, 'the Compatibility API cancel').not.toBe('no answer');
    if (compat === 'no answer') return;
    expect(compat.status, compat.text).toBe(503);
    expect(compat.body).toMatchObject({ code: 20503, status: 503 });

    // Storage is back: a write goes through (and nothing waited in memory to be applied with it).
    await readOnly(false);
    const after = await eventually(async () => {
      const r = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557000803', body: 'after' } });
      return r.status === 201 ? r : undefined;
    }, 15_000, 'a write accepted again');
    await eventually(async () => ((await statusOf(after.body.id)) === 'delivered' ? true : undefined), 10_000, 'the later message delivered');
    // The refused cancels were not applied: both messages are still scheduled, and cancel now.
    expect(await statusOf(nativeId)).toBe('scheduled');
    expect(await statusOf(compatId)).toBe('scheduled');
    const again = await server.api(`/api/messaging/messages/${nativeId}`, { method: 'PATCH', body: { status: 'canceled' } });
    expect(again.status, again.text).toBe(200);
    expect(again.body.status).toBe('canceled');
    const compatAgain = await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/${compatId}.json`, {
      body: new URLSearchParams({ Status: 'canceled' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(compatAgain.status, compatAgain.text).toBe(200);
    expect(compatAgain.body.status).toBe('canceled');
  });
});
