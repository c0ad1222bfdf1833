/**
 * The console end to end in headless Chromium against a real server: log in, send a message and
 * watch it reach `delivered` without reloading, reply as the phone and see it arrive in the
 * conversation, open a failed message and read its error code and webhook attempts, and get the
 * APIs' own errors in forms. The suite screenshots the main views on every run, into
 * test-results/console/; `npm run docs:screenshots` runs it with SWITCHBOARD_UPDATE_SCREENSHOTS=1
 * to write them into docs/console/, which docs/console.md shows.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
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

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

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
    const sent = await page.fill('[data-form="filters"] input[name="q"]', 'code is');
    void sent;
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
    await page.waitForSelector('[data-view="message-detail"] [data-error-code="30003"]', { timeout: 10_000 });
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
});
