/**
 * Paging while deleting: the clean-up loops of the official clients delete every record of a page
 * before they ask for the next one, so the record that ended the page is gone when its page token
 * comes back. The token carries the (sealed) position, so the next page follows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, NUMBERS, startTestServer, type TestServer } from '../helpers/server.js';
import { twilioClient } from './clients.js';

let server: TestServer;

// twilio-node 6.2.0 builds a listed instance without its sid (`_solution = { accountSid, sid: sid }`
// with sid undefined), so `instance.remove()` throws "Parameter 'sid' is not valid." before any
// request: the clean-up is written with the sid, `client.applications(a.sid).remove()`.

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const createApps = (n: number, name: string) => Promise.all(Array.from({ length: n }, (_, i) => twilioClient(server.url).applications.create({ friendlyName: `${name} ${i}`, smsUrl: 'https://example.com/sms' })));

describe('deleting the records of each page while paging', () => {
  it('twilio: removing every application of a page, then asking for the next one, removes them all', async () => {
    const client = twilioClient(server.url);
    const created = await createApps(15, 'page-by-page');
    let page = await client.applications.page({ pageSize: 5, friendlyName: undefined });
    const removed: string[] = [];
    for (;;) {
      for (const a of page.instances) {
        expect(await client.applications(a.sid).remove()).toBe(true);
        removed.push(a.sid);
      }
      const next = await page.nextPage();
      if (!next) break;
      page = next;
    }
    expect(removed.sort()).toEqual(created.map((a) => a.sid).sort());
    expect(await client.applications.list()).toEqual([]);
  });

  it('twilio: applications.each(a => a.remove()) over three pages removes them all without an error', async () => {
    const client = twilioClient(server.url);
    const created = await createApps(15, 'each');
    const removals: Array<Promise<boolean>> = [];
    await client.applications.each({ pageSize: 5 }, (a) => {
      removals.push(client.applications(a.sid).remove());
    });
    expect(await Promise.all(removals)).toEqual(created.map(() => true));
    expect(await client.applications.list()).toEqual([]);
  });

  it("twilio: removing a message's media page by page removes them all", async () => {
    const client = twilioClient(server.url);
    const mediaUrl = Array.from({ length: 6 }, (_, i) => `https://cdn.example.com/${i}.jpg`);
    const m = await client.messages.create({ to: '+15557650011', from: NUMBERS[0]!, mediaUrl });
    // Media can be deleted once the message is final.
    await eventually(async () => ((await client.messages(m.sid).fetch()).status === 'delivered' ? true : undefined));
    let page = await client.messages(m.sid).media.page({ pageSize: 2 });
    let removed = 0;
    for (;;) {
      for (const x of page.instances) {
        expect(await client.messages(m.sid).media(x.sid).remove()).toBe(true);
        removed++;
      }
      const next = await page.nextPage();
      if (!next) break;
      page = next;
    }
    expect(removed).toBe(6);
    expect(await client.messages(m.sid).media.list()).toEqual([]);
  });

  it('native: deleting the number groups of each page, then following links.next, deletes them all', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push((await server.api('/api/relay/rest/number_groups', { body: { name: `cleanup ${i}` } })).body.id);
    let url: string | undefined = '/api/relay/rest/number_groups?page_size=3';
    const deleted: string[] = [];
    while (url) {
      const res = await server.api(url);
      expect(res.status).toBe(200);
      for (const g of res.body.data as Array<{ id: string }>) {
        expect((await server.api(`/api/relay/rest/number_groups/${g.id}`, { method: 'DELETE' })).status).toBe(204);
        deleted.push(g.id);
      }
      url = res.body.links.next ? new URL(res.body.links.next).pathname + new URL(res.body.links.next).search : undefined;
    }
    expect(deleted.sort()).toEqual([...ids].sort());
    expect((await server.api('/api/relay/rest/number_groups')).body.data).toEqual([]);
  });

  it('native: a link token still opens after its record is gone, and old tokens naming a record still work', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await server.api('/api/relay/rest/number_groups', { body: { name: `tokens ${i}` } })).body.id);
    const first = await server.api('/api/relay/rest/number_groups?page_size=2');
    const [newest, second] = first.body.data as Array<{ id: string }>;
    expect(new URL(first.body.links.next).searchParams.get('page_token')).toMatch(/^PAS[A-Za-z0-9_-]{22}$/);
    // A token of the form issued before (PA<id>) pages after that record while it exists.
    const old = await server.api(`/api/relay/rest/number_groups?page_size=2&page_number=1&page_token=PA${second!.id}`);
    expect(old.status).toBe(200);
    expect(old.body.data.map((g: { id: string }) => g.id)).toEqual([ids[1], ids[0]]);
    await server.api(`/api/relay/rest/number_groups/${newest!.id}`, { method: 'DELETE' });
    await server.api(`/api/relay/rest/number_groups/${second!.id}`, { method: 'DELETE' });
    const next = await server.api(new URL(first.body.links.next).pathname + new URL(first.body.links.next).search);
    expect(next.status).toBe(200);
    expect(next.body.data.map((g: { id: string }) => g.id)).toEqual([ids[1], ids[0]]);
    for (const id of ids.slice(0, 2)) await server.api(`/api/relay/rest/number_groups/${id}`, { method: 'DELETE' });
  });
});
