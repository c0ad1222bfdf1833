/**
 * The console end to end in headless Chromium against a real server: log in, send a message and
 * watch it reach `delivered` without reloading, reply as the phone and see it arrive in the
 * conversation, open a failed message and read its error code and webhook attempts, and get the
 * APIs' own errors in forms; then every screen at a phone's width (390 px) in light and dark mode,
 * keyboard use, search as you type, replaying a callback and an empty project. The suite screenshots the main views on every run, into
 * test-results/console/; `npm run docs:screenshots` runs it with SWITCHBOARD_UPDATE_SCREENSHOTS=1
 * to write them into docs/console/, which docs/console.md shows.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createProject } from '../../server/test/helpers/projects.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, NUMBERS, startTestServer, type TestServer } from '../../server/test/helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../server/test/helpers/webhook-receiver.js';
import { browserUnavailable, ensureConsoleBuilt, launchBrowser, ROOT } from './browser.js';

const skipReason = browserUnavailable();
if (skipReason) console.warn(skipReason);
const SHOTS = join(ROOT, process.env.SWITCHBOARD_UPDATE_SCREENSHOTS === '1' ? 'docs/console' : 'test-results/console');
const PHONE = '+15557654321';

describe.skipIf(skipReason !== null)('web console in Chromium', () => {
  let server: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let hook: WebhookReceiver;
  let token: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    hook = await startWebhookReceiver();
    // Zero-config credentials (no API token configured) so the dev login is on, as with `npm start`.
    server = await startTestServer({ apiToken: null, simulatorDelayMs: 250 });
    token = server.bootstrap.apiToken!;
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await hook?.close();
  });

  const shot = (name: string, on: Page = page) => on.screenshot({ path: join(SHOTS, `${name}.png`) });
  const basic = () => `Basic ${Buffer.from(`${server.bootstrap.project.id}:${token}`).toString('base64')}`;
  /** Wider than the window: something makes the page scroll sideways. */
  const overflow = (on: Page) => on.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const background = (on: Page) => on.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const LIGHT_BG = 'rgb(245, 246, 248)';
  const DARK_BG = 'rgb(17, 20, 27)';

  it('logs in with the project ID and API token, logs out, and logs in again with the dev login', async () => {
    await page.goto(`${server.url}/console/`);
    await page.waitForSelector('[data-action="login"]');
    await shot('login');
    await page.fill('input[name="project_id"]', server.bootstrap.project.id);
    await page.fill('input[name="api_token"]', 'PTnotTheToken');
    await page.click('[data-action="login"]');
    await page.waitForSelector('.error-box');
    expect(await page.textContent('.error-box')).toContain('do not match');
    await page.fill('input[name="api_token"]', token);
    await page.click('[data-action="login"]');
    await page.waitForSelector('[data-feed-state="live"]');
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === 'switchboard_console')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).not.toContain(token);

    await page.click('[data-action="logout"]');
    await page.click('[data-action="dev-login"]');
    await page.waitForSelector('[data-feed-state="live"]');
    expect(await page.textContent('.sidebar')).toContain('dev login');
  });

  it('sends a message from the console and shows it reaching delivered without reloading', async () => {
    await page.goto(`${server.url}/console/#/conversations`);
    await page.evaluate(() => ((window as any).__notReloaded = true));
    await page.fill('[data-form="new-conversation"] input[name="to"]', PHONE);
    await page.click('[data-form="new-conversation"] button[type="submit"]');
    await page.fill('[data-form="send"] textarea[name="body"]', 'Hello from the console — your code is 123456');
    expect(await page.textContent('[data-form="send"] [data-field="meter"]')).toContain('UCS-2');
    await page.click('[data-action="send"]');
    await page.waitForSelector('.bubble.outbound[data-status="delivered"]', { timeout: 10_000 });
    expect(await page.evaluate(() => (window as any).__notReloaded)).toBe(true);

    // The Messages list shows it too, live.
    await page.click('[data-nav="messages"]');
    await page.waitForSelector('[data-list="messages"] tr[data-status="delivered"]');
    await page.fill('[data-form="filters"] input[name="q"]', 'code is');
    await page.waitForFunction(() => location.hash.includes('q=code+is'));
    expect(await page.evaluate(() => (window as any).__notReloaded)).toBe(true);
    const handset = await server.api(`/api/simulator/messages?to=${encodeURIComponent(PHONE)}`, { auth: `Basic ${Buffer.from(`${server.bootstrap.project.id}:${token}`).toString('base64')}` });
    expect(handset.body.data[0].body).toContain('your code is 123456');
  });

  it('replies as the phone and shows the inbound message in the conversation, which also reaches the number’s cXML webhook', async () => {
    const auth = `Basic ${Buffer.from(`${server.bootstrap.project.id}:${token}`).toString('base64')}`;
    const numbers = await server.api('/api/relay/rest/phone_numbers', { auth });
    const ours = numbers.body.data.find((n: any) => n.number === NUMBERS[0]);
    hook.respond((r) => (r.path === '/sms' ? { status: 200, body: '<Response></Response>', headers: { 'content-type': 'application/xml' } } : { status: 200 }));
    const configured = await server.api(`/api/relay/rest/phone_numbers/${ours.id}`, { auth, method: 'PUT', body: { message_handler: 'laml_webhooks', message_request_url: `${hook.url}/sms` } });
    expect(configured.status).toBe(200);
    await page.goto(`${server.url}/console/#/conversations/${encodeURIComponent(NUMBERS[0]!)}/${encodeURIComponent(PHONE)}`);
    await page.waitForSelector('[data-form="reply-as-phone"]');
    await page.fill('[data-form="reply-as-phone"] textarea[name="body"]', 'Thanks! Here is a photo');
    await page.click('[data-form="reply-as-phone"] button.link');
    await page.fill('[data-form="reply-as-phone"] textarea[name="media"]', 'https://example.com/photo.jpg');
    await page.click('[data-action="reply-as-phone"]');
    await page.waitForSelector('.bubble.inbound >> text=Thanks! Here is a photo');
    expect(await page.textContent('.bubble.inbound')).toContain('1 media');
    const stored = await eventually(async () => {
      const all = await server.store.messages.list(server.bootstrap.project.id, { direction: 'inbound', from: PHONE }, { limit: 5 });
      return all[0];
    });
    expect(stored).toMatchObject({ to: NUMBERS[0], body: 'Thanks! Here is a photo', media: ['https://example.com/photo.jpg'], status: 'received' });
    const [webhook] = await hook.waitFor(1, 10_000, (r) => r.path === '/sms');
    expect(webhook!.form?.get('Body')).toBe('Thanks! Here is a photo');
    expect(webhook!.form?.get('From')).toBe(PHONE);
    expect(webhook!.form?.get('MediaUrl0')).toBe('https://example.com/photo.jpg');
    expect(webhook!.headers['x-twilio-signature']).toBeTruthy();
    await shot('conversation');
  });

  it('opens a failed message and shows its error code, timeline and webhook attempts', async () => {
    hook.respond(() => ({ status: 500, body: 'callback handler crashed' }));
    const auth = `Basic ${Buffer.from(`${server.bootstrap.project.id}:${token}`).toString('base64')}`;
    const res = await server.api('/api/messaging/messages', { auth, body: { from: NUMBERS[0], to: '+12015550101', body: 'Ünïcödé café ☕ — will this arrive?', status_callback: `${hook.url}/status` } });
    expect(res.status).toBe(201);
    await page.goto(`${server.url}/console/#/messages`);
    await page.click(`tr[data-message-id="${res.body.id}"]`);
    await page.waitForSelector(`[data-view="message-detail"][data-message-id="${res.body.id}"] [data-error-code="30003"]`, { timeout: 10_000 });
    expect(await page.textContent('[data-error-code]')).toContain('unreachable_destination_handset');
    await page.waitForSelector('[data-list="attempts"] tr[data-attempt="2"]', { timeout: 10_000 });
    expect(await page.textContent('[data-list="attempts"] tr[data-attempt="1"] [data-field="status-code"]')).toBe('500');
    expect(await page.textContent('[data-list="attempts"]')).toContain('callback handler crashed');
    expect(await page.textContent('[data-field="non-gsm"]')).toContain('U+2615');
    const statuses = await page.$$eval('[data-list="timeline"] li', (items) => items.map((i) => i.getAttribute('data-status')));
    expect(statuses).toEqual(['queued', 'initiated', 'sent', 'undelivered']);
    await shot('message-detail');
    hook.respond(() => ({ status: 200 }));
  });

  it('opens a missing message from another message’s page and says it was not found', async () => {
    const shown = await server.api('/api/messaging/messages', { auth: basic(), body: { from: NUMBERS[0], to: PHONE, body: 'Shown first' } });
    await page.goto(`${server.url}/console/#/messages/${shown.body.id}`);
    await page.waitForSelector(`[data-view="message-detail"][data-message-id="${shown.body.id}"]`);
    // Only the hash changes: the last message's details must give way to the error.
    const missing = '01890000-0000-7000-8000-000000000000';
    await page.goto(`${server.url}/console/#/messages/${missing}`);
    await page.waitForSelector(`main .error-box >> text=${missing} was not found`, { timeout: 10_000 });
    expect(await page.$('[data-view="message-detail"]')).toBeNull();
  });

  it('shows the API’s own validation errors next to form fields', async () => {
    await page.goto(`${server.url}/console/#/numbers`);
    await page.fill('[data-form="add-number"] input[name="number"]', '12');
    await page.click('[data-action="add-number"]');
    // The phone-numbers API answers in its JSON:API-like shape (detail, no attribute): shown above the form.
    await page.waitForSelector('[data-form="add-number"] .error-box');
    expect(await page.textContent('[data-form="add-number"] .error-box')).toContain('E.164');
    await page.fill('[data-form="add-number"] input[name="number"]', '+15551230077');
    await page.click('[data-action="add-number"]');
    await page.waitForSelector('[data-number="+15551230077"]');
    await page.click('[data-number="+15551230077"] [data-action="edit-number"]');
    await page.selectOption('[data-form="edit-number"] select[name="message_handler"]', 'laml_webhooks');
    await page.fill('[data-form="edit-number"] input[name="message_request_url"]', 'not a url');
    await page.click('[data-action="save-number"]');
    await page.waitForSelector('[data-form="edit-number"] .error-box');
    expect(await page.textContent('[data-form="edit-number"] .error-box')).toContain('message_request_url must be an absolute http or https URL');
    await page.fill('[data-form="edit-number"] input[name="message_request_url"]', `${hook.url}/sms`);
    await page.click('[data-action="save-number"]');
    await page.waitForSelector('[data-number="+15551230077"] >> text=cXML webhook');
    // Number groups (from the Compatibility API's number groups): create one and add a number.
    await page.fill('[data-form="add-group"] input[name="group_name"]', 'Support pool');
    await page.click('[data-form="add-group"] button[type="submit"]');
    await page.waitForSelector('[data-group="Support pool"]');
    await page.selectOption('[data-group="Support pool"] select', { label: '+15551230077' });
    await page.click('[data-group="Support pool"] .members button:has-text("Add")');
    await page.waitForSelector('[data-group="Support pool"] .member >> text=+15551230077');
    await shot('numbers');
  });

  it('lists short codes with the numbers and saves their settings where the API keeps them', async () => {
    await page.goto(`${server.url}/console/#/numbers`);
    await page.waitForSelector('[data-view="numbers"][data-loaded-for]');
    await page.fill('[data-form="add-number"] input[name="number"]', '24681');
    await page.click('[data-action="add-number"]');
    // The phone-numbers API does not list short codes (SignalWire keeps them apart): the view reads both.
    await page.waitForSelector('[data-number="24681"]');
    await page.click('[data-number="24681"] [data-action="edit-number"]');
    await page.fill('[data-form="edit-number"] input[name="name"]', 'promo code');
    await page.click('[data-action="save-number"]');
    await page.waitForSelector('[data-number="24681"] >> text=promo code');
    const codes = await server.api('/api/relay/rest/short_codes?filter_number=24681', { auth: basic() });
    expect(codes.body.data.map((c: any) => c.name)).toEqual(['promo code']);
  });

  it('shows carriers, the webhook outbox and the simulator controls', async () => {
    await page.goto(`${server.url}/console/#/connections`);
    await page.waitForSelector('[data-carrier="simulator"]');
    await page.waitForSelector('[data-list="outbox"] tr');
    await shot('connections');
    await page.goto(`${server.url}/console/#/simulator`);
    await page.waitForSelector('[data-list="magic-numbers"] tr >> text=+12015550101');
    await page.fill('input[name="delay_ms"]', 'soon');
    await page.click('[data-action="save-simulator"]');
    await page.waitForSelector('[data-form="simulator-settings"] .field-error');
    expect(await page.textContent('[data-form="simulator-settings"] .field-error')).toContain('delay_ms must be a whole number');
    await page.fill('input[name="delay_ms"]', '250');
    await page.click('[data-action="save-simulator"]');
    await page.waitForSelector('text=Saved.');
    await page.waitForSelector('[data-list="inbox"] tr');
    await shot('simulator');
    // A few more kinds of traffic, so the list shows what it looks like in use.
    const auth = `Basic ${Buffer.from(`${server.bootstrap.project.id}:${token}`).toString('base64')}`;
    for (const body of [
      { to: '+12015550104', body: 'Your table for two is booked for 8 pm.' },
      { to: '+15557650101', body: 'Reminder: your appointment is tomorrow at 10:00. Reply C to confirm or R to reschedule. '.repeat(2) },
      { to: '+15557650102', body: 'Here is the photo you asked for', media: ['https://example.com/photo.jpg'] },
      { to: NUMBERS[1], body: 'Loopback: one of our numbers texting the other' },
    ]) {
      expect((await server.api('/api/messaging/messages', { auth, body: { from: NUMBERS[0], ...body } })).status).toBe(201);
    }
    await page.goto(`${server.url}/console/#/messages`);
    await page.waitForSelector('[data-list="messages"] tr[data-status="failed"]', { timeout: 10_000 });
    await page.waitForSelector('[data-list="messages"] tr[data-status="received"] >> text=Loopback', { timeout: 10_000 });
    await shot('messages');
  });
  it('searches as you type (no button), and filters only once typing pauses', async () => {
    await page.goto(`${server.url}/console/#/messages`);
    await page.waitForSelector('[data-list="messages"] tr[data-status="received"]');
    expect(await page.$('[data-form="filters"] button[type="submit"]')).toBeNull();
    await page.locator('[data-form="filters"] input[name="q"]').pressSequentially('appointment', { delay: 20 });
    await page.waitForFunction(() => location.hash.includes('q=appointment'));
    // The list of that address, not the last one's (rows of an earlier prefix stay until it loads).
    await page.waitForSelector('[data-view="messages"][data-loaded-for="#/messages?q=appointment"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-list="messages"] tbody tr').length === 1);
    expect(await page.textContent('[data-list="messages"] tbody')).toContain('Reminder: your appointment');
    // One history entry for the whole search, not one per keystroke.
    await page.click('[data-action="clear-filters"]');
    await page.waitForFunction(() => !location.hash.includes('q='));
    // The form is drawn again with the view that follows the new address (after its list loads).
    await page.waitForFunction(() => (document.querySelector('[data-form="filters"] input[name="q"]') as HTMLInputElement | null)?.value === '', undefined, { timeout: 10_000 });
    expect(await page.inputValue('[data-form="filters"] input[name="q"]')).toBe('');
    await page.selectOption('[data-form="filters"] select[name="status"]', 'failed');
    await page.waitForFunction(() => location.hash.includes('status=failed'));
    // Every row of an empty or stale list would pass too: wait for the failed ones' list.
    await page.waitForSelector('[data-view="messages"][data-loaded-for="#/messages?status=failed"] [data-list="messages"] tbody tr');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-list="messages"] tbody tr')].every((r) => r.getAttribute('data-status') === 'failed'));
  });

  it('is usable with the keyboard: skip link, "/" to search, Tab to a message and Enter to open it', async () => {
    await page.goto(`${server.url}/console/#/messages`);
    await page.reload();
    await page.waitForSelector('[data-view="messages"][data-loaded-for="#/messages"] [data-list="messages"] tbody tr');
    expect(await page.getAttribute('[data-nav="messages"]', 'aria-current')).toBe('page');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('content');
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('q');
    // Every control of the filters has an accessible name.
    const unnamed = await page.$$eval('[data-form="filters"] input, [data-form="filters"] select', (els) => els.filter((e) => !e.getAttribute('aria-label')).length);
    expect(unnamed).toBe(0);
    const first = page.locator('[data-list="messages"] tbody tr').first();
    const id = await first.getAttribute('data-message-id');
    // That row, wherever a live update moves it.
    await page.locator(`[data-list="messages"] tr[data-message-id="${id}"] a.row-link`).focus();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/message from \+\d+ to \+\d+/);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`[data-view="message-detail"][data-message-id="${id}"]`);
    // A new view takes the focus to its content (the next Tab is inside it) and names the page.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('content');
    expect(await page.title()).toBe('Messages · Switchboard');
  });

  it('shows readable times: relative, with the local date and time on hover', async () => {
    await page.goto(`${server.url}/console/#/messages`);
    await page.waitForSelector('[data-view="messages"][data-loaded-for="#/messages"]');
    const time = page.locator('[data-list="messages"] tbody tr time').first();
    await time.waitFor();
    expect(await time.textContent()).toMatch(/now|sec|min/);
    const title = (await time.getAttribute('title'))!;
    expect(title).toContain(String(new Date().getFullYear()));
    expect(title).toMatch(/\d{2}:\d{2}:\d{2}/);
    expect(await time.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('labels each callback of a message and replays a delivered one through the outbox', async () => {
    hook.respond(() => ({ status: 204 }));
    const res = await server.api('/api/messaging/messages', { auth: basic(), body: { from: NUMBERS[0], to: '+15557650103', body: 'Replay my receipt', status_callback: `${hook.url}/replay` } });
    expect(res.status).toBe(201);
    const id: string = res.body.id;
    await page.goto(`${server.url}/console/#/messages/${id}`);
    await page.waitForSelector(`[data-view="message-detail"][data-message-id="${id}"] [data-list="webhooks"] [data-reports="delivered"][data-status="delivered"]`, { timeout: 10_000 });
    const labels = await page.$$eval('[data-list="webhooks"] [data-field="webhook-label"]', (els) => els.map((e) => e.textContent?.replace(/\s+/g, ' ').trim()));
    expect(labels).toEqual(['Status callback reporting queued', 'Status callback reporting initiated', 'Status callback reporting sent', 'Status callback reporting delivered']);
    const before = hook.requests.filter((r) => r.json?.id === id).length;
    await page.click('[data-reports="delivered"] [data-action="replay-webhook"]');
    const replays = await hook.waitFor(before + 1, 10_000, (r) => r.json?.id === id);
    expect(replays[replays.length - 1]!.json.status).toBe('delivered');
    await page.waitForSelector('[data-list="webhooks"] > li:nth-child(5)[data-status="delivered"] >> text=same request as #4', { timeout: 10_000 });
    await page.locator('[data-list="webhooks"] > li:nth-child(5)').scrollIntoViewIfNeeded();
    await shot('message-webhooks');
  });

  it('fits a 390 px phone screen on every view, in light and in dark mode', async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    try {
      const failed = (await server.store.messages.list(server.bootstrap.project.id, { statuses: ['undelivered'] }, { limit: 1 }))[0]!;
      const views: Array<[string, string, string]> = [
        // Only the hash changes from view to view: wait for what the new one has loaded.
        ['messages', '#/messages', '[data-view="messages"][data-loaded-for="#/messages"] [data-list="messages"] tbody tr'],
        ['message-detail', `#/messages/${failed.id}`, `[data-view="message-detail"][data-message-id="${failed.id}"] [data-list="timeline"] li`],
        ['conversations', '#/conversations', '[data-list="threads"] li'],
        ['conversation', `#/conversations/${encodeURIComponent(NUMBERS[0]!)}/${encodeURIComponent(PHONE)}`, `[data-view="thread"][data-loaded-for="#/conversations/${encodeURIComponent(NUMBERS[0]!)}/${encodeURIComponent(PHONE)}"]`],
        ['numbers', '#/numbers', '[data-view="numbers"][data-loaded-for] [data-list="numbers"] [data-number]'],
        ['connections', '#/connections', '[data-carrier="simulator"]'],
        ['simulator', '#/simulator', '[data-list="magic-numbers"] tr'],
      ];
      for (const scheme of ['light', 'dark'] as const) {
        await phone.emulateMedia({ colorScheme: scheme });
        for (const [name, hash, ready] of views) {
          await phone.goto(`${server.url}/console/${hash}`);
          await phone.waitForSelector(ready, { timeout: 8000 });
          expect(await background(phone), `${name} in ${scheme} mode`).toBe(scheme === 'dark' ? DARK_BG : LIGHT_BG);
          expect(await overflow(phone), `${name} at 390 px in ${scheme} mode scrolls sideways`).toBeLessThanOrEqual(0);
          // Navigation stays reachable on a phone.
          expect(await phone.isVisible('[data-nav="numbers"]'), name).toBe(true);
          if (name === 'messages') {
            // The filters beyond the search box fold away behind one button on a phone.
            expect(await phone.isVisible('[data-form="filters"] select[name="status"]')).toBe(false);
            await phone.click('.filters-toggle');
            expect(await phone.isVisible('[data-form="filters"] select[name="status"]')).toBe(true);
            expect(await overflow(phone)).toBeLessThanOrEqual(0);
            if (scheme === 'light') await shot('mobile-messages', phone);
          }
          if (scheme === 'dark' && ['messages', 'message-detail', 'conversation'].includes(name)) await shot(`mobile-${name}-dark`, phone);
        }
      }
      // A conversation on a phone opens full screen, with a way back to the list.
      await phone.goto(`${server.url}/console/${views[3]![1]}`);
      // The conversation and the list it hides, both drawn (the last view has no list to be hidden).
      await phone.waitForSelector(views[3]![2]);
      await phone.waitForSelector('[data-list="threads"] li', { state: 'attached' });
      expect(await phone.isVisible('[data-list="threads"]')).toBe(false);
      await phone.click('.thread-head .back');
      await phone.waitForSelector('[data-list="threads"] li');
      // The desktop layout follows the system's dark mode too.
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.goto(`${server.url}/console/#/messages`);
      await page.waitForSelector('[data-view="messages"][data-loaded-for="#/messages"] [data-list="messages"] tbody tr');
      expect(await background(page)).toBe(DARK_BG);
      await shot('dark-messages');
      await page.emulateMedia({ colorScheme: 'light' });
    } finally {
      await phone.close();
    }
  }, 90_000);

  it('tells an empty project how to add a number when it opens "New message"', async () => {
    const empty = await createProject(server, { name: 'Empty project' });
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    try {
      await phone.goto(`${server.url}/console/`);
      await phone.waitForSelector('[data-action="logout"]');
      await phone.click('[data-action="logout"]');
      await phone.waitForSelector('[data-action="login"]');
      expect(await overflow(phone)).toBeLessThanOrEqual(0);
      await phone.fill('input[name="project_id"]', empty.projectId);
      await phone.fill('input[name="api_token"]', empty.token);
      await phone.click('[data-action="login"]');
      await phone.waitForSelector('[data-empty]');
      expect(await phone.textContent('[data-empty]')).toContain('Add a number');
      await phone.click('[data-action="compose"]');
      await phone.waitForSelector('[data-empty="no-numbers"]');
      const text = (await phone.textContent('[data-empty="no-numbers"]'))!;
      expect(text).toContain('no phone number yet');
      expect(text).toContain('/api/relay/rest/phone_numbers');
      expect(await overflow(phone)).toBeLessThanOrEqual(0);
      await shot('mobile-empty-project', phone);
      await phone.click('[data-empty="no-numbers"] a[href="#/numbers"]');
      await phone.waitForSelector('[data-view="numbers"][data-loaded-for="#/numbers"] [data-empty]');
      expect(await phone.textContent('[data-empty]')).toContain('No numbers yet');
    } finally {
      await phone.close();
    }
  });
});
