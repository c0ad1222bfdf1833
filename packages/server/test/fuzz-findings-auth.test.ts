/**
 * Found by a black-box fuzz campaign: a project id written in capitals named its project in URL
 * paths (a UUID is case-insensitive on input, RFC 9562 §4) but not as a credential: `curl -u
 * 8A7C…:token` was a 401 on every REST surface, the console login refused it, and so did RELAY's
 * `signalwire.connect`. The project id is now read in lower case wherever credentials are presented
 * (the token is still matched exactly), and the failed-login throttle counts one project however
 * its id is written: spelling it differently is no way around the per-project budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, basicAuth, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const UPPER = PROJECT_ID.toUpperCase();
/** The project id with every other letter in capitals: one more way of writing it. */
const MIXED = [...PROJECT_ID].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
const CONNECT = { version: { major: 2, minor: 0, revision: 0 }, agent: 'test' };

describe('a project id in capitals as a credential', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('authenticates Basic auth on the native, relay-rest and Compatibility APIs (the AccountSid in the path in capitals too)', async () => {
    for (const user of [UPPER, MIXED]) {
      const auth = basicAuth(user, API_TOKEN);
      const native = await server.api('/api/messaging/logs', { auth });
      expect(native.status, native.text).toBe(200);
      const relayRest = await server.api('/api/relay/rest/phone_numbers', { auth });
      expect(relayRest.status, relayRest.text).toBe(200);
      for (const sid of [PROJECT_ID, UPPER]) {
        const compat = await server.api(`/api/laml/2010-04-01/Accounts/${sid}/Messages.json`, { auth });
        expect(compat.status, compat.text).toBe(200);
        const account = await server.api(`/api/laml/2010-04-01/Accounts/${sid}.json`, { auth });
        expect(account.status, account.text).toBe(200);
        expect(account.body.sid).toBe(PROJECT_ID);
      }
    }
  });

  it('still needs the exact token, and another project id in capitals is still no project', async () => {
    const wrongCase = await server.api('/api/messaging/logs', { auth: basicAuth(UPPER, API_TOKEN.toUpperCase()) });
    expect(wrongCase.status, wrongCase.text).toBe(401);
    const otherProject = await server.api('/api/messaging/logs', { auth: basicAuth(UPPER.replace(/.$/, '0'), API_TOKEN) });
    expect(otherProject.status, otherProject.text).toBe(401);
  });

  it('opens a console session for its project', async () => {
    const login = await server.api('/api/console/login', { auth: null, body: { project_id: UPPER, api_token: API_TOKEN } });
    expect(login.status, login.text).toBe(200);
    expect(login.body.project_id).toBe(PROJECT_ID);
  });

  it('connects on RELAY, the authorization naming the project as stored', async () => {
    const { relay, result } = await RawRelay.connected(server.url, UPPER, API_TOKEN);
    expect(result.authorization.project).toBe(PROJECT_ID);
    await relay.close();
  });
});

describe('the per-project failure budget', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ authFailureBurstPerAddress: 1000, authFailureBurstPerProject: 3, authFailuresPerMinutePerProject: 1 });
  });
  afterAll(() => server?.stop());

  it('is spent by failures with the project id written any way, on HTTP and on RELAY', async () => {
    for (const user of [PROJECT_ID, UPPER, MIXED]) {
      const failed = await server.api('/api/messaging/logs', { auth: basicAuth(user, 'PTwrong') });
      expect(failed.status, failed.text).toBe(401);
    }
    const limited = await server.api('/api/messaging/logs', { auth: basicAuth(UPPER.replace(/^8A/, '8a'), 'PTwrong') });
    expect(limited.status, limited.text).toBe(429);
    const relay = await RawRelay.open(server.url);
    const res = await relay.call('signalwire.connect', { ...CONNECT, authentication: { project: UPPER, token: 'PTwrong' } });
    expect(res.error?.code).toBe(-32005);
    await relay.closed();
  });
});
