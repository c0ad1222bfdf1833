import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import { buildTestEngine, type TestEngine } from '../testing/test-engine.js';
import { StartupTokenConflict } from './bootstrap.js';

let t: TestEngine;
beforeEach(async () => (t = await buildTestEngine({ store: await openSqliteStore({ file: ':memory:' }), bus: new InProcessBus() })));
afterEach(async () => t.close());

const settings = { projectName: 'Test project', signingKey: null, numbers: null, relayContext: 'default' };

describe('the startup project with configured tokens', () => {
  // The verifier answers with the first token whose secret matches: a test token with a live
  // token's secret never answered as a test token, and the "test" suite sent for real.
  it("refuses a test token with a live token's secret, and a live token with a test token's", async () => {
    const live = await t.engine.projects.issueToken(t.project.id, { name: 'printed at a start' });
    const asTest = t.engine.bootstrap({ ...settings, projectId: t.project.id, apiToken: null, testApiToken: live.token });
    await expect(asTest).rejects.toThrow(StartupTokenConflict);
    await expect(asTest).rejects.toThrow(/^SWITCHBOARD_TEST_API_TOKEN is the secret of a live token of project \S+ .*requests with it would be sent for real/);
    const test = await t.engine.projects.issueToken(t.project.id, { name: 'test', test: true });
    await expect(t.engine.bootstrap({ ...settings, projectId: t.project.id, apiToken: test.token })).rejects.toThrow(/^SWITCHBOARD_API_TOKEN \(--api-token\) is the secret of a test token/);
    // Nothing was added: each secret is still one token.
    expect(await t.engine.projects.hasToken(t.project.id, live.token, { test: true })).toBe(false);
    expect(await t.engine.projects.hasToken(t.project.id, test.token, { test: false })).toBe(false);
  });

  it('ensures tokens of their own kind as before', async () => {
    const report = await t.engine.bootstrap({ ...settings, projectId: t.project.id, apiToken: 'PTliveTokenOfItsOwn0123456789', testApiToken: 'PTtestTokenOfItsOwn0123456789' });
    expect(report.warnings).toEqual([]);
    expect(await t.engine.projects.hasToken(t.project.id, 'PTliveTokenOfItsOwn0123456789', { test: false })).toBe(true);
    expect(await t.engine.projects.hasToken(t.project.id, 'PTtestTokenOfItsOwn0123456789', { test: true })).toBe(true);
  });

  it('takes a short configured token, and warns that it can be guessed', async () => {
    const report = await t.engine.bootstrap({ ...settings, projectId: t.project.id, apiToken: 'x' });
    expect(report.warnings).toEqual([expect.stringMatching(/^SWITCHBOARD_API_TOKEN \(--api-token\) is 1 characters long: short enough to guess/)]);
    expect(await t.engine.projects.hasToken(t.project.id, 'x', { test: false })).toBe(true);
  });
});
