/**
 * A configured project id that is a UUID in capitals (`uuidgen` on macOS writes them so): ids
 * presented as credentials and in paths are read in lower case, so the startup project is made with
 * its id in lower case too. Made as written, its own credentials were a 401 on every surface.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, basicAuth, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const UPPER = PROJECT_ID.toUpperCase();

describe('a startup project id configured in capitals', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ projectId: UPPER });
  });
  afterAll(() => server?.stop());

  it('is the project of its credentials, written either way, on the native and Compatibility APIs', async () => {
    for (const user of [UPPER, PROJECT_ID]) {
      const auth = basicAuth(user, API_TOKEN);
      const native = await server.api('/api/messaging/logs', { auth });
      expect(native.status, native.text).toBe(200);
      const account = await server.api(`/api/laml/2010-04-01/Accounts/${user}.json`, { auth });
      expect(account.status, account.text).toBe(200);
      expect(account.body.sid).toBe(PROJECT_ID);
    }
  });
});
