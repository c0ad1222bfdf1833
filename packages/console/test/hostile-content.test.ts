/**
 * What a tenant's traffic controls, shown by the console in Chromium: message bodies (from any
 * phone), media URLs, tags, custom variables, the start of a webhook receiver's answer, names of
 * numbers and number groups, RELAY contexts. None of it may become markup or script in any view
 * (the page's own check: nothing the payloads would add is in the DOM, the CSP saw no attempt),
 * and none of its direction marks (U+202E…) may reorder what the console writes next to it. A
 * crafted link with a bad %-escape still opens a view.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from '../../server/test/helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../server/test/helpers/webhook-receiver.js';
import { browserUnavailable, ensureConsoleBuilt, launchBrowser } from './browser.js';

const skipReason = browserUnavailable();
if (skipReason) console.warn(skipReason);

/** Markup and URLs that would call `top.__pwn(tag)` if the console ever treated them as HTML. */
const payloads = (tag: string) => [
  `<img src=x onerror="top.__pwn('${tag}')">`,
  `"><svg onload=top.__pwn('${tag}')>`,
  `<script>top.__pwn('${tag}')</script>`,
  `javascript:top.__pwn('${tag}')`,
  `<iframe srcdoc="<script>top.__pwn('${tag}')</script>"></iframe>`,
];
const RLO = '\u202E';

describe.skipIf(skipReason !== null)('hostile content in the console', () => {
  let server: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let hook: WebhookReceiver;
  let auth: string;
  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await server.api(path, { auth, ...init });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${res.text}`);
    return res.body;
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    hook = await startWebhookReceiver();
    // The receiver answers every callback with HTML, part of which the console shows.
    hook.respond((r) => ({ status: r.path.includes('fail') ? 500 : 200, body: `<html><body>${payloads('webhook').join('')}</body></html>`, headers: { 'content-type': 'text/html' } }));
    server = await startTestServer({ apiToken: null, simulatorDelayMs: 50 });
    auth = `Basic ${Buffer.from(`${server.bootstrap.project.id}:${server.bootstrap.apiToken}`).toString('base64')}`;
    for (const [i, p] of payloads('inbound').entries()) {
      await call('/api/simulator/inbound', { body: { from: `+1555765430${i}`, to: NUMBERS[0], body: p, media: ['https://example.com/a.svg', `https://example.com/x?q="><img src=x onerror=top.__pwn('media')>`] } });
    }
    for (const [i, p] of payloads('outbound').entries()) {
      await call('/api/messaging/messages', { body: { from: NUMBERS[0], to: `+1555765431${i}`, body: p, tags: [p.slice(0, 60)], custom_variables: { v: p }, status_callback: `${hook.url}/${i % 2 ? 'fail' : 'ok'}` } });
    }
    // Direction marks: a body, a number group's name.
    await call('/api/simulator/inbound', { body: { from: '+15557654399', to: NUMBERS[0], body: `${RLO}abc`, media: ['https://example.com/photo.jpg'] } });
    await call('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557654398', body: `${RLO}xyz`, media: ['https://example.com/photo.jpg'] } });
    await call('/api/relay/rest/number_groups', { body: { name: `${RLO}grp` } });
    await call('/api/relay/rest/number_groups', { body: { name: payloads('group')[0] } });
    const numbers = await call('/api/relay/rest/phone_numbers');
    await call(`/api/relay/rest/phone_numbers/${numbers.data[1].id}`, { method: 'PUT', body: { name: payloads('number')[1], message_handler: 'relay_context', message_relay_context: payloads('context')[0].slice(0, 40) } });

    browser = await launchBrowser();
    await browser.context.addInitScript(() => {
      const w = window as unknown as { __pwned: string[]; __pwn: (t: string) => void; __violations: string[] };
      w.__pwned = [];
      w.__pwn = (t) => w.__pwned.push(t);
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page = await browser.context.newPage();
    page.on('dialog', (d) => void d.dismiss());
    await page.goto(`${server.url}/console/`);
    await page.click('[data-action="dev-login"]');
    await page.waitForSelector('[data-feed-state="live"]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await hook?.close();
  });

  /** What the payloads would have added to the page, had any become markup; and what ran or was blocked. */
  const inspect = () =>
    page.evaluate(() => {
      const found: string[] = [];
      for (const el of Array.from(document.querySelectorAll('*'))) {
        for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) found.push(`${el.tagName} ${a.name}`);
        if (/^(iframe|object|embed|svg)$/i.test(el.tagName) || (el.tagName === 'IMG' && el.getAttribute('src') === 'x') || (el.tagName === 'SCRIPT' && !(el as HTMLScriptElement).src)) found.push(el.outerHTML.slice(0, 80));
      }
      for (const a of Array.from(document.querySelectorAll('a[href]'))) if (!/^(#|https?:)/.test(a.getAttribute('href')!)) found.push(`link ${a.getAttribute('href')}`);
      const w = window as unknown as { __pwned: string[]; __violations: string[] };
      return { found, pwned: w.__pwned, violations: w.__violations };
    });

  it('shows every attacker-controlled field as text in every view: no markup, no script, no CSP violation', async () => {
    // Each view with what shows it has loaded: only the hash changes, so until then the page still
    // shows the last view, and checking that would leave this one unchecked.
    const views: Array<[string, string]> = [
      ['#/messages', '[data-view="messages"][data-loaded-for="#/messages"]'],
      ['#/conversations', '[data-list="threads"] li'],
      ['#/numbers', '[data-view="numbers"][data-loaded-for="#/numbers"]'],
      ['#/opt-outs', '[data-view="opt-outs"][data-loaded-for="#/opt-outs"]'],
      ['#/connections', '[data-list="outbox"] tr[data-webhook-id]'],
      ['#/simulator', '[data-list="inbox"] tbody tr'],
    ];
    const messages = await call('/api/console/messages?limit=50');
    for (const m of messages.data) views.push([`#/messages/${m.id}`, `[data-view="message-detail"][data-message-id="${m.id}"]`]);
    const threads = await call('/api/console/conversations');
    for (const t of threads.data) {
      const view = `#/conversations/${encodeURIComponent(t.ours)}/${encodeURIComponent(t.other)}`;
      views.push([view, `[data-view="thread"][data-loaded-for="${view}"]`]);
    }
    expect(views.length).toBeGreaterThan(25);
    // The receiver's HTML answer is among what the console shows.
    await page.goto(`${server.url}/console/#/messages/${messages.data.find((m: { body: string }) => m.body.includes('outbound')).id}`);
    await page.waitForFunction(() => document.body.textContent!.includes('<html><body>'), undefined, { timeout: 10_000 });
    for (const [view, loaded] of views) {
      await page.goto(`${server.url}/console/${view}`);
      await page.waitForSelector(`main ${loaded}`, { state: 'attached', timeout: 10_000 });
      await page.waitForLoadState('networkidle');
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true)));
      expect({ view, ...(await inspect()) }).toEqual({ view, found: [], pwned: [], violations: [] });
    }
  }, 120_000);

  it('shows a view for a link with a bad %-escape instead of failing to render', async () => {
    const errors: string[] = [];
    const onError = (e: Error) => errors.push(e.message);
    page.on('pageerror', onError);
    try {
      await page.goto('about:blank');
      await page.goto(`${server.url}/console/#/messages/%E0%A4%A`);
      await page.waitForSelector('main .error-box >> text=%E0%A4%A was not found', { timeout: 10_000 });
      await page.goto(`${server.url}/console/#/conversations/%ZZ/x`);
      await page.waitForSelector('main [data-list="threads"]', { state: 'attached', timeout: 10_000 });
      expect(errors).toEqual([]);
    } finally {
      page.off('pageerror', onError);
    }
  }, 60_000);

  /** Left edges of a text (found in `scope`) and of the element after it: the element must stay on its right. */
  const order = (scope: string, text: string, after: string) =>
    page.evaluate(
      ([scope, text, after]) => {
        const root = Array.from(document.querySelectorAll(scope!)).find((e) => e.textContent!.includes(text!))!;
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        let node: Node | null;
        while ((node = walker.nextNode()) && !node.textContent!.includes(text!));
        const range = document.createRange();
        range.selectNodeContents(node!);
        return { text: range.getBoundingClientRect().left, after: root.querySelector(after!)!.getBoundingClientRect().left };
      },
      [scope, text, after],
    );

  it('keeps direction marks in a body or a name from reordering what the console writes next to it', async () => {
    await page.goto(`${server.url}/console/#/messages`);
    await page.waitForSelector('[data-list="messages"] td.body >> text=abc');
    const row = await order('[data-list="messages"] td.body', 'abc', 'span.muted');
    expect(row.after).toBeGreaterThan(row.text);

    await page.goto(`${server.url}/console/#/simulator`);
    await page.waitForSelector('td.wide >> text=xyz');
    const inbox = await order('td.wide', 'xyz', 'span.muted');
    expect(inbox.after).toBeGreaterThan(inbox.text);

    await page.goto(`${server.url}/console/#/numbers`);
    await page.waitForSelector('[data-group] >> text=grp');
    const group = await order('[data-group]', 'grp', 'span.mono');
    expect(group.after).toBeGreaterThan(group.text);
  }, 60_000);
});
