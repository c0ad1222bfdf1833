/**
 * Lists in progress per project (`http.maxListRequestsPerProject`): one project running more list
 * requests at once than allowed gets 429 in each surface's shape — the Compatibility API's 20429
 * (a RestException to the twilio client), the native and console `{error, message}` — while its
 * sends and single fetches, and another project's lists and sends, go on. A slot is given back
 * when its list is answered, when it fails, and when its client went away (once the query ends).
 *
 * The project's message lists are held in the store until the test lets them go, so "in
 * progress" is certain rather than timed.
 */
import { request as httpRequest } from 'node:http';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { rejection, twilioClient } from './compat/clients.js';

const LIMIT = 2;
const SECOND_NUMBER = '+15551230777';
let server: TestServer;
let other: TestProject;

/** Message lists of the configured project wait here until released (or failed). */
const held: Array<{ release: () => void; fail: (err: Error) => void }> = [];
let holding = true;

beforeAll(async () => {
  // No waiting room: the bound itself, each list over it refused at once (greedy-bursts.test.ts has the waiting room).
  server = await startTestServer({ maxListRequestsPerProject: LIMIT }, { waitingPerSlot: 0 });
  other = await createProject(server, { name: 'Another tenant', number: SECOND_NUMBER });
  // The message lists of every surface read through `listScanned` (within the scan budget).
  const repo = server.store.messages as unknown as { listScanned: (projectId: string, ...rest: unknown[]) => Promise<unknown> };
  const list = repo.listScanned.bind(repo);
  repo.listScanned = async (projectId, ...rest) => {
    if (holding && projectId === PROJECT_ID) {
      await new Promise<void>((release, fail) => held.push({ release, fail }));
    }
    return list(projectId, ...rest);
  };
});
afterAll(async () => {
  holding = false;
  releaseAll();
  await server?.stop();
});

function releaseAll(): void {
  for (const h of held.splice(0)) h.release();
}

const compatList = (auth = server.auth, project = PROJECT_ID) => get(`/2010-04-01/Accounts/${project}/Messages.json?PageSize=1000`, auth);
const nativeList = (auth = server.auth) => get('/api/messaging/logs?page_size=1000', auth);

async function get(path: string, auth: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: auth } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/**
 * A GET on a connection of its own that `signal` cuts (node:http without keep-alive: fetch's pool
 * may open a spare connection it never writes to, which a closing server waits for).
 */
function getOnOwnConnection(path: string, auth: string, signal: AbortSignal): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { headers: { authorization: auth }, signal }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Start `n` lists of the configured project and wait until all are held in the store. */
async function fillSlots(n = LIMIT, signal?: AbortSignal): Promise<Array<Promise<{ status: number }>>> {
  const before = held.length;
  const paths = ['/2010-04-01/Accounts/' + PROJECT_ID + '/Messages.json?PageSize=1000', '/api/console/messages?limit=200'];
  const running = Array.from({ length: n }, (_, i) => (signal ? getOnOwnConnection(paths[i % 2]!, server.auth, signal) : get(paths[i % 2]!, server.auth)));
  await eventually(() => held.length === before + n || undefined, 5_000, `${n} lists held`);
  return running;
}

async function expectAllRefused(): Promise<void> {
  const compat = await compatList();
  expect(compat.status).toBe(429);
  expect(compat.headers.get('retry-after')).toBe('1');
  expect(compat.body).toMatchObject({ code: 20429, status: 429, message: expect.stringContaining('Too Many Requests') });
  expect(compat.body.more_info).toMatch(/^https:\/\//);

  const native = await nativeList();
  expect(native.status).toBe(429);
  expect(native.headers.get('retry-after')).toBe('1');
  expect(native.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining(`already has ${LIMIT} list requests in progress`) });

  const consoleList = await get('/api/console/conversations', server.auth);
  expect(consoleList.status).toBe(429);
  expect(consoleList.headers.get('retry-after')).toBe('1');
  expect(consoleList.body).toEqual({ error: 'Too Many Requests', message: expect.any(String) });

  // Any list counts, not only messages.
  expect((await get('/api/relay/rest/phone_numbers', server.auth)).status).toBe(429);
  expect((await get(`/2010-04-01/Accounts/${PROJECT_ID}/IncomingPhoneNumbers.json`, server.auth)).status).toBe(429);

  // The twilio client's own reading of it.
  const err = await rejection(twilioClient(server.url).messages.list({ pageSize: 1000, limit: 1000 }));
  expect(err).toBeInstanceOf(twilio.RestException);
  expect(err).toMatchObject({ status: 429, code: 20429 });
}

describe('lists in progress per project', () => {
  it('refuses the lists over the bound in each surface shape; sends, fetches and another project go on', async () => {
    const running = await fillSlots();
    await expectAllRefused();

    // The same project's send and single fetch are not lists.
    const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650005', body: 'still sending' } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect((await server.api(`/api/messaging/logs/${sent.body.id}`)).status).toBe(200);
    expect((await get(`/2010-04-01/Accounts/${PROJECT_ID}/Messages/${sent.body.id}.json`, server.auth)).status).toBe(200);
    const compatSend = await fetch(`${server.url}/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`, {
      method: 'POST',
      headers: { authorization: server.auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ From: NUMBERS[0]!, To: '+15557650005', Body: 'compat send' }).toString(),
    });
    expect(compatSend.status).toBe(201);

    // Another project's lists and sends.
    expect((await compatList(other.auth, other.projectId)).status).toBe(200);
    expect((await nativeList(other.auth)).status).toBe(200);
    expect((await get('/api/console/messages', other.auth)).status).toBe(200);
    expect((await server.api('/api/messaging/messages', { auth: other.auth, body: { from: SECOND_NUMBER, to: '+15557650005', body: 'other tenant' } })).status).toBe(201);

    // Answered: the slots are free again.
    releaseAll();
    expect((await Promise.all(running)).map((r) => r.status)).toEqual([200, 200]);
    const again = await fillSlots();
    releaseAll();
    expect((await Promise.all(again)).map((r) => r.status)).toEqual([200, 200]);
  });

  it('gives the slot back when the list fails', async () => {
    const running = await fillSlots();
    for (const h of held.splice(0)) h.fail(new Error('storage went away'));
    expect((await Promise.all(running)).map((r) => r.status)).toEqual([500, 500]);
    const next = await fillSlots();
    await expectAllRefused();
    releaseAll();
    expect((await Promise.all(next)).map((r) => r.status)).toEqual([200, 200]);
  });

  it('keeps the slot of a list whose client went away until its query ends, then gives it back', async () => {
    const abort = new AbortController();
    const running = await fillSlots(LIMIT, abort.signal);
    abort.abort();
    await Promise.allSettled(running);
    // The queries still run: they still count.
    expect((await nativeList()).status).toBe(429);
    releaseAll();
    // Nothing is left held once they end.
    await eventually(async () => ((await get('/api/relay/rest/phone_numbers', server.auth)).status === 200 ? true : undefined), 5_000, 'slots given back');
    const next = await fillSlots();
    releaseAll();
    expect((await Promise.all(next)).map((r) => r.status)).toEqual([200, 200]);
  });
});
