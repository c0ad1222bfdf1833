/**
 * Paging a long message list through both official clients as a campaign's reporting job does:
 * list({ limit, pageSize }) and each({ limit, pageSize }) stopping mid-page, page() followed with
 * nextPage() to the end and previousPage() all the way back, and getPage() on a saved next-page URL.
 * The same answers from twilio and @signalwire/compatibility-api.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from '../helpers/server.js';
import { dataDirTrustedByTests } from '../helpers/tls.js';
import { signalwireClient, twilioClient } from './clients.js';

let server: TestServer;
let dataDir: string;
const TO = '+15557696001';
/** The sids of the messages to TO, newest first (the lists' order). */
let newestFirst: string[];

beforeAll(async () => {
  dataDir = dataDirTrustedByTests();
  server = await startTestServer({ httpsEnabled: true }, { dataDir });
  const client = twilioClient(server.url);
  const sids: string[] = [];
  for (let i = 0; i < 23; i++) sids.push((await client.messages.create({ to: TO, from: NUMBERS[i % 2]!, body: `report ${i}` })).sid);
  newestFirst = sids.reverse();
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const clients: Array<[string, () => any]> = [
  ['twilio', () => twilioClient(server.url)],
  ['@signalwire/compatibility-api', () => signalwireClient(server.httpsUrl!)],
];

describe.each(clients)('paging 23 messages with %s', (_name, make) => {
  it('list({ limit, pageSize }) and each({ limit, pageSize }) stop at the limit in the middle of a page', async () => {
    const client = make();
    expect((await client.messages.list({ to: TO, limit: 17, pageSize: 4 })).map((m: any) => m.sid)).toEqual(newestFirst.slice(0, 17));
    expect((await client.messages.list({ to: TO, pageSize: 5 })).map((m: any) => m.sid)).toEqual(newestFirst);
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) =>
      client.messages.each({ to: TO, limit: 10, pageSize: 3, done: (err?: Error) => (err ? reject(err) : resolve()) }, (m: any) => {
        seen.push(m.sid);
      }),
    );
    expect(seen).toEqual(newestFirst.slice(0, 10));
  });

  it('page() then nextPage() to the last page, previousPage() back to the first, each page as it was', async () => {
    const client = make();
    let page = await client.messages.page({ to: TO, pageSize: 5 });
    expect(page.previousPageUrl).toBeUndefined();
    const forward: string[][] = [];
    for (;;) {
      forward.push(page.instances.map((m: any) => m.sid));
      const next = await page.nextPage();
      if (!next) break;
      page = next;
    }
    expect(forward.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(forward.flat()).toEqual(newestFirst);
    expect(page.nextPageUrl).toBeUndefined();
    const backward: string[][] = [];
    for (;;) {
      backward.unshift(page.instances.map((m: any) => m.sid));
      const previous = await page.previousPage();
      if (!previous) break;
      page = previous;
    }
    expect(backward).toEqual(forward);
  });

  it('getPage() on a saved next-page URL answers that page', async () => {
    const client = make();
    const first = await client.messages.page({ to: TO, pageSize: 6 });
    const saved: string = first.nextPageUrl;
    const second = await client.messages.getPage(saved);
    expect(second.instances.map((m: any) => m.sid)).toEqual(newestFirst.slice(6, 12));
    const third = await client.messages.getPage(second.nextPageUrl);
    expect(third.instances.map((m: any) => m.sid)).toEqual(newestFirst.slice(12, 18));
  });
});
