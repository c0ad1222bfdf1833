/**
 * The Accounts list's Status filter as twilio's client sends it (`accounts.list({ status })`, one
 * of active, suspended, closed — twilio-node's AccountStatus): the project is `active`, so
 * `suspended` and `closed` list nothing; a value that is no account status is refused with 10000
 * naming the parameter, as a bad Status is on Messages, rather than answering an empty list as if
 * it were one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { rejection, twilioClient } from './clients.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe('Accounts list Status filter', () => {
  it('lists the project for active, nothing for suspended or closed', async () => {
    const client = twilioClient(server.url);
    expect((await client.api.accounts.list({ status: 'active' })).map((a) => a.sid)).toEqual([PROJECT_ID]);
    expect(await client.api.accounts.list({ status: 'suspended' })).toEqual([]);
    expect(await client.api.accounts.list({ status: 'closed' })).toEqual([]);
  });

  it('refuses a Status that is no account status with 10000 naming it', async () => {
    const client = twilioClient(server.url);
    const err = await rejection(client.api.accounts.list({ status: 'Active' as 'active' }));
    expect(err).toMatchObject({ status: 400, code: 10000, message: expect.stringContaining('Status') });
    const raw = await server.api('/2010-04-01/Accounts.json?Status=open');
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ code: 10000, status: 400 });
  });
});
