/**
 * Another site's page, opened in the browser of someone logged in to the console, trying to act
 * with their session: a form posting JSON as text/plain or a Compatibility API form to send a
 * message, a credentialed no-cors fetch, a form logging the browser into the attacker's own project
 * (login CSRF), and framing the console to trick clicks. None may send a message, change the session
 * or show the console in the frame.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from '../../server/test/helpers/projects.js';
import { NUMBERS, startTestServer, type TestServer } from '../../server/test/helpers/server.js';
import { browserUnavailable, ensureConsoleBuilt, launchBrowser } from './browser.js';

const skipReason = browserUnavailable();
if (skipReason) console.warn(skipReason);

describe.skipIf(skipReason !== null)('another site’s page against a logged-in console', () => {
  let server: TestServer;
  let attacker: Server;
  let attackerUrl: string;
  let mallory: TestProject;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let auth: string;

  /** The attacker's page: every attempt at once, each marking when it was made. */
  const evilPage = () => {
    const target = server.url;
    const send = JSON.stringify({ from: NUMBERS[0], to: '+15557650999', body: 'csrf-text-plain' }).slice(0, -1);
    const login = JSON.stringify({ project_id: mallory.projectId, api_token: mallory.token }).slice(0, -1);
    const q = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&#39;');
    return `<!doctype html><html><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe>
<form id="f1" method="POST" enctype="text/plain" target="sink1" action="${target}/api/messaging/messages"><input name='${q(send)},"x":"' value='"}'></form>
<form id="f2" method="POST" target="sink2" action="${target}/2010-04-01/Accounts/${server.bootstrap.project.id}/Messages.json"><input name="From" value="${NUMBERS[0]}"><input name="To" value="+15557650998"><input name="Body" value="csrf-compat-form"></form>
<form id="f3" method="POST" enctype="text/plain" target="sink3" action="${target}/api/console/login"><input name='${q(login)},"x":"' value='"}'></form>
<iframe id="framed" src="${target}/console/"></iframe>
<script>
  document.getElementById('f1').submit();
  document.getElementById('f2').submit();
  document.getElementById('f3').submit();
  fetch('${target}/api/messaging/messages', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '${send},"x":1}' }).catch(() => {}).finally(() => { window.__fetched = true; });
</script></body></html>`;
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startTestServer({ apiToken: null });
    mallory = await createProject(server, { name: 'Mallory', number: '+15551239988' });
    auth = `Basic ${Buffer.from(`${server.bootstrap.project.id}:${server.bootstrap.apiToken}`).toString('base64')}`;
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(evilPage()));
    await new Promise<void>((r) => attacker.listen(0, r));
    // Another site: the console's host written the other way (localhost and 127.0.0.1 are two sites).
    const other = new URL(server.url).hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    attackerUrl = `http://${other}:${(attacker.address() as AddressInfo).port}/`;
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((r) => attacker?.close(r));
  });

  it('sends nothing, keeps the session, and does not show the console in a frame', async () => {
    await page.goto(`${server.url}/console/`);
    await page.click('[data-action="dev-login"]');
    await page.waitForSelector('[data-feed-state="live"]');
    const before = (await browser.context.cookies()).find((c) => c.name === 'switchboard_console')!.value;

    const evil = await browser.context.newPage();
    // What each attempt was answered: it reached the server, and was refused there.
    const answers: string[] = [];
    evil.on('response', (r) => r.url().startsWith(server.url) && answers.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`));
    await evil.goto(attackerUrl);
    await evil.waitForFunction(() => (window as unknown as { __fetched?: boolean }).__fetched === true);
    await evil.waitForLoadState('networkidle');

    // Each attempt reached the server and was refused (the cookie is SameSite=Strict, so not even sent).
    const posts = answers.filter((a) => a.startsWith('POST'));
    expect(posts).toHaveLength(4);
    for (const a of posts) expect(a).toMatch(/ 4\d\d$/);
    // The console was answered to the frame, and the browser showed its own error page instead.
    expect(answers).toContain('GET /console/ 200');
    expect(evil.frames().map((f) => f.url())).toContain('chrome-error://chromewebdata/');
    expect(evil.frames().filter((f) => f.url().startsWith(`${server.url}/console`))).toEqual([]);

    const sent = await server.api('/api/console/messages?limit=50', { auth });
    expect(sent.status).toBe(200);
    expect(sent.body.data.map((m: { body: string }) => m.body)).toEqual([]);
    // Still logged in to its own project: the attacker's login did not replace the session.
    expect((await browser.context.cookies()).find((c) => c.name === 'switchboard_console')!.value).toBe(before);
    expect(await page.evaluate(async () => (await (await fetch('/api/console/session')).json()).project_id)).toBe(server.bootstrap.project.id);
    await evil.close();
  }, 60_000);
});
