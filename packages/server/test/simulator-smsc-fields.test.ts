/**
 * The simulator SMSC's routes refuse a field they do not take, as the simulator's other routes
 * (settings, inbound) do: a misspelt behaviour answered 200 and changed nothing, and a misspelt
 * MO field was dropped (`Split: "sar"` went as udh8).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/built-server.js';
import { NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ simulatorSmscEnabled: true, simulatorSmscPort: await freePort() });
});
afterAll(() => server?.stop());

describe('simulator SMSC routes', () => {
  it('refuse an unknown behaviour field, naming the closest, and change nothing', async () => {
    const before = (await server.api('/api/simulator/smsc')).body.behaviour;
    const r = await server.api('/api/simulator/smsc/behaviour', { method: 'PUT', body: { response_delay: 5000 } });
    expect(r.status, r.text).toBe(422);
    expect(r.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: 'response_delay', message: expect.stringContaining("did you mean 'response_delay_ms'?") });
    expect((await server.api('/api/simulator/smsc')).body.behaviour).toEqual(before);
    // What GET shows can be sent back as it is.
    const back = await server.api('/api/simulator/smsc/behaviour', { method: 'PUT', body: before });
    expect(back.status, back.text).toBe(200);
    expect(back.body).toEqual(before);
  });

  it('refuse an unknown MO field, naming the closest, and inject nothing', async () => {
    const injected = () => server.smsc!.stats.moSent;
    const before = injected();
    const r = await server.api('/api/simulator/smsc/mo', { body: { from: '+447700900600', to: NUMBERS[0], body: 'hi', Split: 'sar' } });
    expect(r.status, r.text).toBe(422);
    expect(r.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: 'Split', message: expect.stringContaining("did you mean 'split'?") });
    expect(injected()).toBe(before);
    const ok = await server.api('/api/simulator/smsc/mo', { body: { from: '+447700900600', to: NUMBERS[0], body: 'hi', split: 'sar' } });
    expect(ok.status, ok.text).toBe(202);
  });
});
