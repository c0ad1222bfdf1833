/**
 * The confirmation of a STOP goes to the handset that just opted out: it is sent past the opt-out
 * list when accepted, and must be when it waited too (a retry after the carrier throttled it, a
 * late first claim). The check of waited messages against STOP (waited-checks.ts) failed it with
 * 21610, so a handset throttled once never heard that its STOP was taken.
 * The simulator clock is manual: nothing here waits for time to pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEnd } from './helpers/messages.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let p: TestProject;

beforeAll(async () => {
  server = await startTestServer({ simulatorClock: 'manual' });
  p = await createProject(server, { name: 'STOP confirmation retried' });
});
afterAll(async () => {
  await server?.stop();
});

describe('the confirmation of a STOP', () => {
  it('is sent when its retry after a throttle comes, though its handset has opted out', async () => {
    const number = '+15551239911';
    const handset = '+15557719911';
    const reg = await server.api('/api/relay/rest/phone_numbers', { auth: p.auth, body: { number } });
    expect(reg.status, reg.text).toBe(200);
    // The simulator throttles the first submission to the handset: the confirmation's.
    const set = await server.api('/api/simulator/settings', { method: 'PUT', auth: p.auth, body: { delay_ms: 1000, rules: [{ prefix: handset, outcome: 'throttled', times: 1 }] } });
    expect(set.status, set.text).toBe(200);
    const stop = await server.api('/api/simulator/inbound', { auth: p.auth, body: { from: handset, to: number, body: 'STOP' } });
    expect(stop.status, stop.text).toBe(201);
    const reply = await eventually(async () => {
      const res = await server.api(`/api/messaging/logs?to=${encodeURIComponent(handset)}`, { auth: p.auth });
      expect(res.status, res.text).toBe(200);
      const [m] = res.body.data as Array<{ id: string }>;
      if (!m) return undefined;
      const events = await server.store.events.listForMessage(p.projectId, m.id);
      return events.some((e) => e.status === 'initiated') ? m : undefined;
    }, 10_000, 'the confirmation submitted once');
    await server.api('/api/simulator/clock/advance', { body: { ms: 60_000 } });
    const end = await waitForEnd(server, reply.id, undefined, p.auth);
    expect(end.error_code ?? null).toBeNull();
    expect(['sent', 'delivered']).toContain(end.status);
  });
});
