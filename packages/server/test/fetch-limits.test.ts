/**
 * Single fetches in progress per project (`http.maxListRequestsPerProject` × 8): a project pipelining
 * message fetches on a hundred connections had every one served back to back while another client
 * waited about 4 s. One more fetch than the bound gets 429 in each surface's shape — the
 * Compatibility API's 20429 with Retry-After (a RestException to the twilio client), the native and
 * console `{error, message}` — while the project's sends and lists, and another project's fetches,
 * go on. A slot is given back when its fetch is answered.
 *
 * The fetches of one message are held in the store until the test lets them go, so "in progress"
 * is certain rather than timed.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCHES_PER_LIST_SLOT } from '../src/http/fetch-slots.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';
import { rejection, twilioClient } from './compat/clients.js';

const LISTS = 1;
const LIMIT = LISTS * FETCHES_PER_LIST_SLOT;
const SECOND_NUMBER = '+15551230778';
let server: TestServer;
let other: TestProject;
let heldId = '';
let otherId = '';

/** Fetches of the held message wait here until released. */
const held: Array<() => void> = [];

beforeAll(async () => {
  // No waiting room: the bound itself, each fetch over it refused at once (greedy-bursts.test.ts has the waiting room).
  server = await startTestServer({ maxListRequestsPerProject: LISTS }, { waitingPerSlot: 0 });
  other = await createProject(server, { name: 'Another tenant', number: SECOND_NUMBER });
  const sent = await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650101', body: 'fetched' } });
  expect(sent.status).toBe(201);
  heldId = sent.body.id;
  const theirs = await server.api('/api/messaging/messages', { auth: other.auth, body: { from: SECOND_NUMBER, to: '+15557650102', body: 'theirs' } });
  expect(theirs.status).toBe(201);
  otherId = theirs.body.id;
  const repo = server.store.messages as unknown as { get: (projectId: string, id: string, ...rest: unknown[]) => Promise<unknown> };
  const get = repo.get.bind(repo);
  repo.get = async (projectId, id, ...rest) => {
    if (id === heldId) await new Promise<void>((release) => held.push(release));
    return get(projectId, id, ...rest);
  };
});
afterAll(async () => {
  heldId = '';
  for (const release of held.splice(0)) release();
  await server?.stop();
});

async function get(path: string, auth = server.auth): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: auth } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const compatFetch = (id: string, auth = server.auth, project = PROJECT_ID) => get(`/2010-04-01/Accounts/${project}/Messages/${id}.json`, auth);
const nativeFetch = (id: string, auth = server.auth) => get(`/api/messaging/logs/${id}`, auth);
const consoleFetch = (id: string, auth = server.auth) => get(`/api/console/messages/${id}`, auth);

describe('single fetches in progress per project', () => {
  it(`runs ${LIMIT} of a project's fetches at once, refuses one more in each surface's shape; its sends and lists, and another project's fetches, go on`, async () => {
    const fetchers = [nativeFetch, compatFetch, consoleFetch];
    const running = Array.from({ length: LIMIT }, (_, i) => fetchers[i % 3]!(heldId));
    await eventually(() => held.length === LIMIT || undefined, 5_000, `${LIMIT} fetches held`);

    const native = await nativeFetch(heldId);
    expect(native.status).toBe(429);
    expect(native.headers.get('retry-after')).toBe('1');
    expect(native.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining(`already has ${LIMIT} fetches in progress`) });

    const compat = await compatFetch(heldId);
    expect(compat.status).toBe(429);
    expect(compat.headers.get('retry-after')).toBe('1');
    expect(compat.body).toMatchObject({ code: 20429, status: 429, message: expect.stringContaining('Too Many Requests') });
    const err = await rejection(twilioClient(server.url).messages(heldId).fetch());
    expect(err).toBeInstanceOf(twilio.RestException);
    expect(err).toMatchObject({ status: 429, code: 20429 });

    const detail = await consoleFetch(heldId);
    expect(detail.status).toBe(429);
    expect(detail.headers.get('retry-after')).toBe('1');
    expect(detail.body).toEqual({ error: 'Too Many Requests', message: expect.any(String) });
    // Refused before storage is read.
    expect(held).toHaveLength(LIMIT);

    // The same project's sends and lists are not fetches; another project's fetches have their own slots.
    expect((await server.api('/api/messaging/messages', { body: { from: NUMBERS[0], to: '+15557650103', body: 'still sending' } })).status).toBe(201);
    expect((await get('/api/messaging/logs?page_size=5')).status).toBe(200);
    expect((await nativeFetch(otherId, other.auth)).status).toBe(200);
    expect((await compatFetch(otherId, other.auth, other.projectId)).status).toBe(200);
    expect((await consoleFetch(otherId, other.auth)).status).toBe(200);

    // Answered: the slots are free again.
    for (const release of held.splice(0)) release();
    expect((await Promise.all(running)).map((r) => r.status)).toEqual(Array.from({ length: LIMIT }, () => 200));
    const again = nativeFetch(heldId);
    await eventually(() => held.length === 1 || undefined, 5_000, 'a fetch held');
    held.splice(0)[0]!();
    expect((await again).status).toBe(200);
  });
});
