/**
 * A test that needs no sleeps, through the SDK (the example of docs/simulator.md, "The simulator
 * clock"): on a server started with the manual clock, a message waits out a 30 s simulator delay
 * and its delivery only when the test moves the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient, RestError } from '@switchboard/sdk';
import { API_TOKEN, eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';

let server: TestServer;
let rest: RestClient;

beforeAll(async () => {
  server = await startTestServer({ simulatorClock: 'manual', simulatorDelayMs: 30_000 });
  rest = new RestClient({ project: PROJECT_ID, token: API_TOKEN, host: server.url });
});
afterAll(async () => {
  await server.stop();
});

/** The message's state once the work the clock made due has run. */
const statusOf = (id: string, expected: string) => eventually(async () => ((await rest.messaging.getLog(id)).status === expected ? expected : undefined), 10_000, `${id} ${expected}`);

describe('RestClient.simulator on the manual clock', () => {
  it('moves a message along by moving the clock, 30 s of simulator delay at a time', async () => {
    const start = Date.parse((await rest.simulator.clock()).now);
    const sent = await rest.messaging.send({ from: NUMBERS[0]!, to: '+15557653100', body: 'no sleeps' });
    await statusOf(sent.id, 'initiated');
    expect(Date.parse((await rest.simulator.advanceClock(30_000)).now)).toBe(start + 30_000);
    await statusOf(sent.id, 'sent');
    await rest.simulator.advanceClock(30_000);
    await statusOf(sent.id, 'delivered');
  });
});

describe('RestClient.simulator on the wall clock', () => {
  it('fails with a 409 naming the setting', async () => {
    const wall = await startTestServer();
    try {
      const err = await new RestClient({ project: PROJECT_ID, token: API_TOKEN, host: wall.url }).simulator.clock().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RestError);
      expect(err).toMatchObject({ status: 409, message: expect.stringContaining('SWITCHBOARD_SIMULATOR_CLOCK=manual') });
    } finally {
      await wall.stop();
    }
  });
});
