/**
 * A greedy tenant's `code_pattern`s share one time budget (per project, per node). Each request's
 * pattern ran on its own 100 ms budget, on the server's thread: 30 waits of tenant B with a pattern
 * that backtracks, all answered by one message to its handset, ran one after the other in the same
 * turn and held the thread for three seconds — tenant A's list took as long (about 25 s for the 256
 * connections one address may open). Now B's patterns together get 100 ms of the thread a
 * second, four requests' budgets at once; past that B's requests are refused with 429, and A's
 * own pattern still runs on a budget of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage } from './helpers/messages.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';

const BACKTRACKS = encodeURIComponent('(a|a)*$');
const WAITS = 30;

let server: TestServer;
let a: TestProject;
let b: TestProject;

beforeAll(async () => {
  server = await startTestServer();
  a = await createProject(server, { name: 'Tenant A', number: '+15551239701' });
  b = await createProject(server, { name: 'Tenant B', number: '+15551239702' });
});
afterAll(() => server?.stop());

describe("one project's code_pattern requests", () => {
  it(`run ${WAITS} backtracking waits on one budget: a few spend it, the rest are refused (429), and another project's pattern runs`, async () => {
    const waits = Array.from({ length: WAITS }, () => server.api(`/api/simulator/messages/wait?to=%2B15557009901&timeout=20&code_pattern=${BACKTRACKS}`, { auth: b.auth }));
    // Every wait is subscribed once each has looked at the (empty) inbox: a wait that came later would find the message there.
    await eventually(async () => ((await server.api('/api/simulator/messages/wait?to=%2B15557009901&timeout=0.001', { auth: b.auth })).status === 408 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    await sendMessage(server, { from: '+15551239702', to: '+15557009901', body: `x ${'a'.repeat(60)}!` }, b.auth);
    const answers = await Promise.all(waits);
    const ran = answers.filter((r) => r.status === 422);
    const refused = answers.filter((r) => r.status === 429);
    expect(ran.length + refused.length, answers.map((r) => r.text).join('\n')).toBe(WAITS);
    for (const r of ran) expect(r.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'code_pattern', message: expect.stringContaining('backtracks too much') });
    // Four requests' budgets at once: those past them are cut short by the project's bucket, or not run, and refused.
    expect(ran.length).toBeLessThanOrEqual(8);
    expect(refused[0]!.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining('code_pattern matches used their time') });
    expect(refused[0]!.headers.get('retry-after')).toBe('1');

    // A's pattern is not charged to B's budget: it runs, here to a match.
    await sendMessage(server, { from: '+15551239701', to: '+15557009902', body: 'Your code is 4242' }, a.auth);
    const own = await server.api(`/api/simulator/messages/wait?to=%2B15557009902&timeout=5&code_pattern=${encodeURIComponent('code is (\\d+)')}`, { auth: a.auth });
    expect([own.status, own.body?.code], own.text).toEqual([200, '4242']);
  });
});
