/**
 * A selective filter over a long history (`http.listScanRows`): one page of a message list
 * examines at most that many of the project's messages, newest first, so `Status=canceled` (a
 * status few messages have), a party that never wrote or a console search no message matches
 * does not read the whole history in one request. A page that ran out of budget is short or
 * empty and links to where it stopped; following the links finds every match, and the official
 * clients (twilio, @signalwire/compatibility-api) follow them across empty pages. The console's
 * conversations group the same window.
 *
 * The history is written straight into the store; the budget is small so it is a few pages long.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type ConsoleClient } from './console/console-client.js';
import { signalwireClient, twilioClient } from './compat/clients.js';
import { insertMessages } from './helpers/messages.js';
import { deliveryRow, messageRow } from './helpers/records.js';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { dataDirTrustedByTests } from './helpers/tls.js';

const BUDGET = 20;
const HISTORY = 100;
/** The matches, by position in the history (0 = oldest): one at the very start, two close together. */
const CANCELED = [0, 41, 44];
const RARE_TO = '+15557650009';

let server: TestServer;
let console_: ConsoleClient;
let sids: string[];

beforeAll(async () => {
  server = await startTestServer({ listScanRows: BUDGET, httpsEnabled: true }, { dataDir: dataDirTrustedByTests() });
  const rows = Array.from({ length: HISTORY }, (_, i) =>
    CANCELED.includes(i) ? messageRow(PROJECT_ID, { status: 'canceled', body: `needle ${i}`, to: RARE_TO }) : messageRow(PROJECT_ID, { status: 'delivered', body: `hay ${i}`, to: '+15557650001' }),
  );
  sids = (await insertMessages(server, rows)).map((m) => m.id);
  console_ = await loginAs(server, PROJECT_ID, API_TOKEN);
});
afterAll(async () => {
  await server?.stop();
});

/** The matches' ids, newest first. */
const expected = () => [...CANCELED].reverse().map((i) => sids[i]);

/** Follow `next` links from `first` (a path), collecting each page's ids; at most 50 pages. */
async function follow(first: string, read: (path: string) => Promise<{ ids: string[]; next: string | null }>): Promise<string[][]> {
  const pages: string[][] = [];
  let path: string | null = first;
  while (path !== null && pages.length < 50) {
    const page = await read(path);
    pages.push(page.ids);
    path = page.next;
  }
  return pages;
}

const relative = (url: string) => {
  const u = new URL(url, server.url);
  return `${u.pathname}${u.search}`;
};

describe('a selective filter over a history longer than the scan budget', () => {
  it('native logs: each page examines at most the budget; the links lead through every match', async () => {
    const pages = await follow('/api/messaging/logs?status=canceled&page_size=2', async (path) => {
      const res = await server.api(path);
      expect(res.status, res.text).toBe(200);
      return { ids: res.body.data.map((m: { id: string }) => m.id), next: res.body.links.next ? relative(res.body.links.next) : null };
    });
    // 100 messages, 20 a page: five windows. The newest two (99…60) hold no match: empty pages
    // with a next link; 59…40 holds 44 and 41; 39…20 none; the oldest window ends the list.
    expect(pages).toEqual([[], [], [sids[44], sids[41]], [], [sids[0]]]);
    expect(pages.flat()).toEqual(expected());
  });

  it('native logs: a short page links back (prev) to the page before it', async () => {
    const first = await server.api('/api/messaging/logs?status=canceled&page_size=2');
    const second = await server.api(relative(first.body.links.next));
    expect(second.body.data).toEqual([]);
    const third = await server.api(relative(second.body.links.next));
    expect(third.body.data.map((m: { id: string }) => m.id)).toEqual([sids[44], sids[41]]);
    // Back from the third page: the window before it, towards the newest, holds no match either.
    const back = await server.api(relative(third.body.links.prev));
    expect(back.status, back.text).toBe(200);
    expect(back.body.data).toEqual([]);
    expect(back.body.links.next).toBeDefined();
  });

  it("Compatibility API: empty pages carry next_page_uri, and the twilio client's list finds every match", async () => {
    const res = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?Status=canceled`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.messages).toEqual([]);
    expect(res.body.next_page_uri).toMatch(/^\/api\/laml\/2010-04-01\/Accounts\/.*\/Messages\.json\?Status=canceled&Page=1&PageSize=50&PageToken=PAS/);
    const pages = await follow(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?Status=canceled&PageSize=2`, async (path) => {
      const page = await server.api(path);
      return { ids: page.body.messages.map((m: { sid: string }) => m.sid), next: page.body.next_page_uri };
    });
    expect(pages).toEqual([[], [], [sids[44], sids[41]], [], [sids[0]]]);

    // The clients filter by To (Status is our extension, which they do not send); the matches are
    // the only messages to that number.
    const client = twilioClient(server.url);
    expect((await client.messages.list({ to: RARE_TO })).map((m) => m.sid)).toEqual(expected());
    expect((await client.messages.list({ to: RARE_TO, pageSize: 1 })).map((m) => m.sid)).toEqual(expected());
    const seen: string[] = [];
    await client.messages.each({ to: RARE_TO }, (m) => void seen.push(m.sid));
    expect(seen).toEqual(expected());
    // A `limit` counts messages, not pages: the client reads on past the empty pages.
    expect((await client.messages.list({ to: RARE_TO, limit: 2 })).map((m) => m.sid)).toEqual(expected().slice(0, 2));
  });

  it('@signalwire/compatibility-api lists every match across the empty pages', async () => {
    const client = signalwireClient(server.httpsUrl!);
    const listed: Array<{ sid: string }> = await client.messages.list({ to: RARE_TO });
    expect(listed.map((m) => m.sid)).toEqual(expected());
  });

  it("console: a search (q) no recent message matches answers an empty page whose next continues the search", async () => {
    const pages = await follow('/api/console/messages?q=needle&limit=2', async (path) => {
      const res = await console_.call(path);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const body = res.body as { data: Array<{ id: string }>; next: string | null };
      return { ids: body.data.map((m) => m.id), next: body.next === null ? null : `/api/console/messages?q=needle&limit=2&before=${body.next}` };
    });
    expect(pages).toEqual([[], [], [sids[44], sids[41]], [], [sids[0]]]);
  });

  it('console conversations: each page groups only the budget; next leads through every thread once', async () => {
    const pages = await follow('/api/console/conversations?limit=1', async (path) => {
      const res = await console_.call(path);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const body = res.body as { data: Array<{ other: string }>; next: string | null };
      return { ids: body.data.map((t) => t.other), next: body.next === null ? null : `/api/console/conversations?limit=1&before=${body.next}` };
    });
    // The thread of 97 messages (newest 99) first; the other (newest 44) from the window holding
    // it; the windows after hold only messages of threads already listed.
    expect(pages).toEqual([['+15557650001'], [], [RARE_TO], [], []]);
  });

  it('a filter most messages match fills its pages as before', async () => {
    const res = await server.api('/api/messaging/logs?status=delivered&page_size=5');
    expect(res.body.data).toHaveLength(5);
    const compat = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?To=%2B15557650001&PageSize=5`);
    expect(compat.body.messages).toHaveLength(5);
    expect(compat.body.end).toBe(4);
  });
});

describe('walking back with previous_page_uri over a history longer than the scan budget', () => {
  it("twilio: previousPage() from the last page reaches every match, the newest window's too", async () => {
    // Matches in the newest window as well: walking back, the windows are cut from the other end,
    // so it takes more pages than forward; the page number reaching 0 did not end the walk early.
    const hits = [0, 41, 44, 95];
    const local = await startTestServer({ listScanRows: BUDGET });
    try {
      const rows = Array.from({ length: HISTORY }, (_, i) => messageRow(PROJECT_ID, { status: 'delivered', body: `m ${i}`, to: hits.includes(i) ? RARE_TO : '+15557650001' }));
      const ids = (await insertMessages(local, rows)).map((m) => m.id);
      const client = twilioClient(local.url);
      const forward: string[][] = [];
      let page: Awaited<ReturnType<typeof client.messages.page>> | undefined = await client.messages.page({ to: RARE_TO, pageSize: 2 });
      let last = page;
      while (page) {
        forward.push(page.instances.map((m) => m.sid));
        last = page;
        page = await page.nextPage();
      }
      expect(forward).toEqual([[ids[95]], [], [ids[44], ids[41]], [], [ids[0]]]);
      const backward: string[] = [];
      page = await last.previousPage();
      for (let n = 0; page && n < 20; n++) {
        backward.push(...page.instances.map((m) => m.sid));
        page = await page.previousPage();
      }
      expect(backward).toEqual([ids[44], ids[41], ids[95]]);
    } finally {
      await local.stop();
    }
  });
});

describe('the console outbox over more deliveries than the budget', () => {
  it('counts each state up to the budget, flagged "more than", and lists every delivery through next', async () => {
    // Not due for a day: the outbox does not send them while the test reads them.
    const later = Date.now() + 86_400_000;
    await server.store.webhooks.enqueueMany(Array.from({ length: BUDGET + 5 }, () => deliveryRow(PROJECT_ID, { nextAttemptAt: later })));
    const first = await console_.call('/api/console/outbox?limit=200');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.counts).toEqual({ pending: BUDGET, retrying: 0, delivered: 0, failed: 0 });
    expect(first.body.capped).toEqual({ pending: true, retrying: true, delivered: false, failed: false });
    expect(first.body.count_cap).toBe(BUDGET);
    // The list is not capped: every delivery, newest first, through next.
    const ids: number[] = [];
    let next: string | null = '';
    while (next !== null) {
      const res = await console_.call(`/api/console/outbox?limit=10${next ? `&before=${next}` : ''}`);
      ids.push(...res.body.data.map((d: { id: number }) => d.id));
      next = res.body.next;
    }
    expect(ids).toHaveLength(BUDGET + 5);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});
