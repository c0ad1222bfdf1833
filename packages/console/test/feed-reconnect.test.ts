/**
 * The live feed after the server answered it with something other than the stream. An
 * EventSource that gets such an answer (a proxy's 502 while the server restarts, 429, 401) closes
 * for good: the tab said "Offline" until reloaded, and after a logout in another tab it kept
 * showing the project. The console now checks its session and opens the feed again. And "Log out"
 * in a tab whose session another tab replaced by logging in again (its CSRF token no longer the
 * cookie's) was refused with 403 and did nothing, leaving the browser logged in; and such a tab
 * kept the old project's name over what the new session's cookie now read.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../../server/test/helpers/projects.js';
import { startTestServer, type TestServer } from '../../server/test/helpers/server.js';
import { browserUnavailable, ensureConsoleBuilt, launchBrowser } from './browser.js';

const skipReason = browserUnavailable();
if (skipReason) console.warn(skipReason);

describe.skipIf(skipReason !== null)('the console when its live feed is refused', () => {
  let server: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startTestServer({ apiToken: null });
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens the feed again after a 502, without a reload, and stays logged in', async () => {
    let refused = 0;
    // The first attempts get a proxy's answer, as while the server restarts.
    await page.route('**/api/console/events', (route) => (refused++ < 2 ? route.fulfill({ status: 502, contentType: 'text/html', body: 'Bad Gateway' }) : route.continue()));
    await page.goto(`${server.url}/console/`);
    await page.click('[data-action="dev-login"]');
    await page.waitForSelector('[data-feed-state="offline"]');
    await page.waitForSelector('[data-feed-state="live"]', { timeout: 15_000 });
    expect(refused).toBeGreaterThanOrEqual(3);
    expect(await page.isVisible('[data-action="dev-login"]')).toBe(false);
    await page.unroute('**/api/console/events');
  }, 60_000);

  it('shows the login once the session is ended elsewhere, without a click', async () => {
    await page.goto(`${server.url}/console/#/messages`);
    await page.waitForSelector('[data-feed-state="live"]');
    // Another tab logs out: the same cookie, its CSRF token.
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'switchboard_console')!;
    const headers = { cookie: `${cookie.name}=${cookie.value}` };
    const session = await (await fetch(`${server.url}/api/console/session`, { headers })).json();
    const out = await fetch(`${server.url}/api/console/logout`, { method: 'POST', headers: { ...headers, 'x-switchboard-csrf': session.csrf_token } });
    expect(out.status).toBe(200);
    await page.waitForSelector('[data-action="dev-login"]', { timeout: 15_000 });
  }, 60_000);

  it('logs out when another tab logged in again meanwhile, ending the session the browser now holds', async () => {
    await page.goto(`${server.url}/console/#/messages`);
    await page.click('[data-action="dev-login"]');
    await page.waitForSelector('[data-feed-state="live"]');
    // Another tab logs in again: the browser's cookie is a new session's, with another CSRF token.
    const other = await browser.context.newPage();
    await other.goto(`${server.url}/console/`);
    await other.waitForSelector('[data-action="logout"]');
    expect(await other.evaluate(async () => (await fetch('/api/console/dev-login', { method: 'POST' })).status)).toBe(200);
    await page.click('[data-action="logout"]');
    await page.waitForSelector('[data-action="dev-login"]', { timeout: 15_000 });
    expect(await other.evaluate(async () => (await (await fetch('/api/console/session')).json()).authenticated)).toBe(false);
    await other.close();
  }, 60_000);

  it('shows the project another tab logged into, not the old one over the new session’s data', async () => {
    const b = await createProject(server, { name: 'Project logged into elsewhere', number: '+15551239977' });
    await page.goto(`${server.url}/console/#/messages`);
    await page.click('[data-action="dev-login"]');
    await page.waitForSelector('[data-feed-state="live"]');
    expect(await page.textContent('.sidebar .project')).toContain(server.bootstrap.project.id);
    // Another tab logs into project B: every call of this tab now goes with B's cookie.
    const other = await browser.context.newPage();
    await other.goto(`${server.url}/console/`);
    const login = { project_id: b.projectId, api_token: b.token };
    expect(await other.evaluate(async (body) => (await fetch('/api/console/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status, login)).toBe(200);
    await page.waitForSelector(`.sidebar .project >> text=${b.projectId}`, { timeout: 15_000 });
    await other.close();
  }, 60_000);
});
