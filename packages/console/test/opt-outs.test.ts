/**
 * The console's Opt-outs view and the smart-encoding line of the UCS-2 explainer, in headless
 * Chromium against a real server (skipped without Chromium, as e2e.test.ts).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, NUMBERS, startTestServer, type TestServer } from '../../server/test/helpers/server.js';
import { browserUnavailable, ensureConsoleBuilt, launchBrowser } from './browser.js';

const skipReason = browserUnavailable();
const PHONE = '+15557654399';

describe.skipIf(skipReason !== null)('console: opt-outs and smart encoding', () => {
  let server: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startTestServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${server.url}/console/`);
    await page.fill('input[name="project_id"]', server.bootstrap.project.id);
    await page.fill('input[name="api_token"]', API_TOKEN);
    await page.click('[data-action="login"]');
    await page.waitForSelector('[data-feed-state="live"]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists a handset that texted STOP, removes it, and switches smart encoding on for the project', async () => {
    expect((await server.api('/api/simulator/inbound', { body: { from: PHONE, to: NUMBERS[0], body: 'STOP' } })).status).toBe(201);
    await page.click('[data-nav="opt-outs"]');
    const row = await page.waitForSelector(`[data-opt-out="${PHONE}"]`);
    expect(await row.textContent()).toContain(`texted STOP`);
    expect(await row.textContent()).toContain(NUMBERS[0]);

    await page.click(`[data-opt-out="${PHONE}"] [data-action="remove-opt-out"]`);
    await page.waitForSelector('[data-empty]');
    expect((await server.api(`/api/messaging/opt_outs?handset=${encodeURIComponent(PHONE)}`)).body.data).toEqual([]);

    await page.click('[data-setting="smart_encoding"]');
    // The box is disabled while its PUT is in flight; checked and enabled again means the server answered.
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-setting="smart_encoding"]') as HTMLInputElement;
      return box.checked && !box.disabled;
    });
    expect((await server.api('/api/messaging/settings')).body.smart_encoding).toBe(true);
    await page.click('[data-setting="smart_encoding"]');
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-setting="smart_encoding"]') as HTMLInputElement;
      return !box.checked && !box.disabled;
    });
    expect((await server.api('/api/messaging/settings')).body.smart_encoding).toBe(false);
  });

  it('the UCS-2 explainer of a message says what smart encoding would change', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: PHONE, body: `It\u2019s ready \u2014 ${'z'.repeat(70)}` } });
    expect(sent.body.number_of_segments).toBe(2);
    await page.goto(`${server.url}/console/#/messages/${sent.body.id}`);
    const hint = await page.waitForSelector(`[data-view="message-detail"][data-message-id="${sent.body.id}"] [data-field="smart-encoding"]`);
    const text = (await hint.textContent()) ?? '';
    expect(text).toContain('would replace');
    expect(text).toContain('\u2019');
    expect(text).toContain('GSM-7, 1 segment');
  });

  it('says smart encoding would not apply to a body it would take past 1600 characters', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: PHONE, body: '\u2026'.repeat(600) } });
    expect(sent.body.number_of_segments).toBe(9);
    await page.goto(`${server.url}/console/#/messages/${sent.body.id}`);
    // Only the hash changes: the last test's message stays on the page until this one's has loaded.
    await page.waitForFunction(() => document.querySelector('[data-field="smart-encoding"]')?.textContent?.includes('1800 characters'));
    const text = (await page.textContent('[data-field="smart-encoding"]')) ?? '';
    expect(text).toContain('would not apply');
    expect(text).toContain('1800 characters');
    expect(text).not.toContain('segments');
  });

  it('says smart encoding would not apply to a body it would make longer in segments', async () => {
    const body = '\u00bd'.repeat(70);
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: PHONE, body, smart_encoded: true } });
    expect(sent.body).toMatchObject({ number_of_segments: 1, body });
    await page.goto(`${server.url}/console/#/messages/${sent.body.id}`);
    await page.waitForFunction(() => document.querySelector('[data-field="smart-encoding"]')?.textContent?.includes('instead of'));
    const text = (await page.textContent('[data-field="smart-encoding"]')) ?? '';
    expect(text).toContain('would not apply');
    expect(text).toContain('2 segments instead of 1');
  });
});
