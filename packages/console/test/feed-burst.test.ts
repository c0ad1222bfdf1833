/**
 * The console under a burst on its live feed, in Chromium: 1,000 handsets texting at once, then
 * one handset sending 300 messages in a row. What a tab shows must stay bounded (an open tab is
 * left for hours, and every message of the project reaches it), and the page keeps answering.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from '../../server/test/helpers/server.js';
import { browserUnavailable, ensureConsoleBuilt, launchBrowser } from './browser.js';

const skipReason = browserUnavailable();
if (skipReason) console.warn(skipReason);

/** At most this many rows in the conversation list, and bubbles in a thread (as in the message list). */
const MAX_ROWS = 200;

describe.skipIf(skipReason !== null)('the console under a burst of live updates', () => {
  let server: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let auth: string;

  /** Inject `count` handset messages, `parallel` at a time. */
  const inject = async (count: number, from: (i: number) => string) => {
    let i = 0;
    const worker = async () => {
      while (i < count) {
        const n = i++;
        const res = await server.api('/api/simulator/inbound', { auth, body: { from: from(n), to: NUMBERS[0], body: `burst ${n}` } });
        if (res.status >= 300) throw new Error(`inbound ${n}: ${res.status} ${res.text}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  };
  /** Messages the page's feed has received. */
  const received = () => page.evaluate(() => (window as unknown as { __switchboardFeed: { stats: { messages: number } } }).__switchboardFeed.stats.messages);

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startTestServer({ apiToken: null });
    auth = `Basic ${Buffer.from(`${server.bootstrap.project.id}:${server.bootstrap.apiToken}`).toString('base64')}`;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${server.url}/console/`);
    await page.click('[data-action="dev-login"]');
    await page.waitForSelector('[data-feed-state="live"]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it(`keeps at most ${MAX_ROWS} conversations listed while 1,000 new ones arrive, newest first, with "Load older" for the rest`, async () => {
    await page.goto(`${server.url}/console/#/conversations`);
    await page.waitForSelector('[data-list="threads"]', { state: 'attached' });
    const before = await received();
    await inject(1000, (i) => `+1555800${String(i).padStart(4, '0')}`);
    await page.waitForFunction((n) => (window as unknown as { __switchboardFeed: { stats: { messages: number } } }).__switchboardFeed.stats.messages >= n, before + 1000, { timeout: 30_000 });
    await page.waitForSelector('[data-thread$="|+15558000999"]');
    const shown = await page.evaluate(() => Array.from(document.querySelectorAll('[data-list="threads"] li')).map((li) => li.getAttribute('data-thread')));
    expect(shown.length).toBeLessThanOrEqual(MAX_ROWS);
    expect(shown[0]).toMatch(/\|\+15558000\d{3}$/);
    // The rest is a click away.
    await page.click('button.more');
    await page.waitForFunction((n) => document.querySelectorAll('[data-list="threads"] li').length > n, shown.length);
  }, 120_000);

  it(`keeps the newest ${MAX_ROWS} messages of an open conversation while 300 arrive in it`, async () => {
    const phone = '+15558100000';
    await inject(1, () => phone);
    const view = `#/conversations/${encodeURIComponent(NUMBERS[0])}/${encodeURIComponent(phone)}`;
    await page.goto(`${server.url}/console/${view}`);
    await page.waitForSelector(`[data-view="thread"][data-loaded-for="${view}"]`);
    const before = await received();
    await inject(300, () => phone);
    await page.waitForFunction((n) => (window as unknown as { __switchboardFeed: { stats: { messages: number } } }).__switchboardFeed.stats.messages >= n, before + 300, { timeout: 30_000 });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-view="thread"] .bubble')).some((b) => b.textContent!.includes('burst 299')));
    const bubbles = await page.evaluate(() => document.querySelectorAll('[data-view="thread"] .bubble').length);
    expect(bubbles).toBeLessThanOrEqual(MAX_ROWS);
    // Still scrolled to the newest, though the count stopped changing.
    await page.waitForFunction(() => {
      const bubbles = document.querySelectorAll('[data-view="thread"] .bubble');
      const last = bubbles[bubbles.length - 1]!.getBoundingClientRect();
      let box = bubbles[0]!.parentElement;
      while (box && box.scrollHeight <= box.clientHeight) box = box.parentElement;
      const view = (box ?? document.documentElement).getBoundingClientRect();
      return last.bottom <= Math.min(view.bottom, innerHeight) + 1;
    }, undefined, { timeout: 5_000 });
  }, 120_000);
});
