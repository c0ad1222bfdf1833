/**
 * Failed authentications are limited per client address and per project id, on every way in (HTTP
 * Basic on each surface, the console login, RELAY signalwire.connect): 429 with Retry-After (RELAY:
 * -32005 with retry_after_ms) once a budget is spent, one warning per address, and credentials that
 * worked before keep working. 127.0.0.x addresses play different clients.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, type CapturedLogs } from './helpers/log-capture.js';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, basicAuth, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const BAD = basicAuth(PROJECT_ID, 'PTwrongTokenForSwitchboardIntegrationTests0000000000');
const CONNECT = { version: { major: 2, minor: 0, revision: 0 }, agent: 'test' };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** An HTTP request from `from` (a loopback address standing for one client). */
function call(server: TestServer, path: string, opts: { auth?: string; from?: string; method?: string; body?: unknown } = {}): Promise<Answer> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: opts.method ?? (body ? 'POST' : 'GET'),
        localAddress: opts.from ?? '127.0.0.1',
        agent: false,
        headers: { ...(opts.auth ? { authorization: opts.auth } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function relayConnect(server: TestServer, token: string, from: string) {
  const relay = await RawRelay.open(server.url, { localAddress: from });
  const res = await relay.call('signalwire.connect', { ...CONNECT, authentication: { project: PROJECT_ID, token } });
  const closed = res.error ? await relay.closed() : await relay.close();
  return { res, closed };
}

/** A server with these settings for the tests of the enclosing describe, and its warnings. */
function serverWith(overrides: Parameters<typeof startTestServer>[0]): { server: TestServer; logs: CapturedLogs } {
  const ctx = { logs: captureLogs() } as { server: TestServer; logs: CapturedLogs };
  beforeAll(async () => {
    ctx.server = await startTestServer(overrides, { logger: ctx.logs.logger });
  });
  afterAll(async () => {
    await ctx.server?.stop();
  });
  return ctx;
}

const LIMITED_ADDRESS = 'failed authentications limited for this client address';
const LIMITED_PROJECT = 'failed authentications limited for this project id';

describe('per client address', () => {
  const ctx = serverWith({ authFailureBurstPerAddress: 5, authFailuresPerMinutePerAddress: 1, authFailureBurstPerProject: 1000 });
  let server: TestServer;
  let logs: CapturedLogs;
  beforeAll(() => ({ server, logs } = ctx));

  it('answers 429 with Retry-After on every surface once an address has failed its budget, logs it once, and valid credentials keep working', async () => {
    // A client that works, before the attack.
    expect((await call(server, '/api/messaging/logs', { auth: server.auth })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call(server, '/api/messaging/logs', { auth: BAD })).status).toBe(401);

    const native = await call(server, '/api/messaging/logs', { auth: BAD });
    expect(native.status).toBe(429);
    expect(Number(native.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(native.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining('Too many failed authentications') });

    const compat = await call(server, `/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, { auth: BAD });
    expect(compat.status).toBe(429);
    expect(Number(compat.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(compat.body).toMatchObject({ code: 20429, status: 429 });

    const relayRest = await call(server, '/api/relay/rest/phone_numbers', { auth: BAD });
    expect(relayRest.status).toBe(429);
    expect(relayRest.headers['retry-after']).toBeDefined();

    const login = await call(server, '/api/console/login', { body: { project_id: PROJECT_ID, api_token: 'PTnope' } });
    expect(login.status).toBe(429);
    expect(login.headers['retry-after']).toBeDefined();

    const relay = await relayConnect(server, 'PTnope', '127.0.0.1');
    expect(relay.res.error).toMatchObject({ code: -32005, data: { retry_after_ms: expect.any(Number) } });
    expect(relay.closed).toBe(1008);

    // Credentials that worked before pass, on HTTP and on RELAY.
    expect((await call(server, '/api/messaging/logs', { auth: server.auth })).status).toBe(200);
    expect((await call(server, '/api/console/login', { body: { project_id: PROJECT_ID, api_token: API_TOKEN } })).status).toBe(200);
    expect((await relayConnect(server, API_TOKEN, '127.0.0.1')).res.result.protocol).toBeDefined();

    // Another address is another client.
    expect((await call(server, '/api/messaging/logs', { auth: BAD, from: '127.0.0.2' })).status).toBe(401);

    expect(logs.matching(LIMITED_ADDRESS)).toEqual([expect.objectContaining({ level: 40, address: '127.0.0.1' })]);
  });

  it('counts RELAY connects with bad credentials like any other failure', async () => {
    for (let i = 0; i < 5; i++) expect((await relayConnect(server, 'PTnope', '127.0.0.3')).res.error).toMatchObject({ code: -32002 });
    expect((await relayConnect(server, 'PTnope', '127.0.0.3')).res.error).toMatchObject({ code: -32005 });
    expect((await call(server, '/api/messaging/logs', { auth: BAD, from: '127.0.0.3' })).status).toBe(429);
    expect(logs.matching(LIMITED_ADDRESS).map((l) => l.address)).toEqual(['127.0.0.1', '127.0.0.3']);
  });

  it('does not count requests without credentials (clients that wait for the Basic challenge)', async () => {
    for (let i = 0; i < 10; i++) expect((await call(server, '/api/messaging/logs', { from: '127.0.0.4' })).status).toBe(401);
    expect((await call(server, '/api/messaging/logs', { auth: BAD, from: '127.0.0.4' })).status).toBe(401);
  });
});

describe('per project id', () => {
  const ctx = serverWith({ authFailureBurstPerAddress: 1000, authFailureBurstPerProject: 6, authFailuresPerMinutePerProject: 1 });
  let server: TestServer;
  let logs: CapturedLogs;
  beforeAll(() => ({ server, logs } = ctx));

  it('limits guesses at one project from many addresses, while its working credentials keep working', async () => {
    expect((await call(server, '/api/messaging/logs', { auth: server.auth, from: '127.0.0.9' })).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await call(server, '/api/messaging/logs', { auth: BAD, from: `127.0.0.${10 + i}` })).status).toBe(401);
    const limited = await call(server, '/api/messaging/logs', { auth: BAD, from: '127.0.0.20' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    // The project's clients: credentials that worked before pass from anywhere.
    expect((await call(server, '/api/messaging/logs', { auth: server.auth, from: '127.0.0.21' })).status).toBe(200);
    // Another project id is not affected.
    expect((await call(server, '/api/messaging/logs', { auth: basicAuth('another-project', 'PTx'), from: '127.0.0.20' })).status).toBe(401);
    expect(logs.matching(LIMITED_PROJECT)).toEqual([expect.objectContaining({ project: PROJECT_ID })]);
  });
});
