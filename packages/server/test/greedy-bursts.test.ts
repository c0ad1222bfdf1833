/**
 * One client's burst of lists, single fetches or sends, all arriving in the same turn of the event loop, on
 * connections already open: the per-project bounds (`http.maxListRequestsPerProject`,
 * `http.maxSendRequestsPerProject`) hold for it as for requests that overlap in time. On SQLite a
 * list's query is synchronous, so each list used to be answered within the turn that read it and
 * never held its slot while the next arrived: a client pipelining lists on a hundred connections
 * (each far under the per-address cap) had every one served, back to back, and the node accepted
 * no other client's connection for seconds. Another project's requests in the same burst are
 * served. Nothing here is timed: the requests are written together, then their answers read.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCHES_PER_LIST_SLOT } from '../src/http/fetch-slots.js';
import { WAITING_PER_SLOT } from '../src/http/project-slot-route.js';
import { openKeptConnection, type KeptAnswer } from './helpers/kept-connection.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const LISTS = 2;
/** The lists that may wait for a slot by default: `WAITING_PER_SLOT` per slot. */
const WAITING = LISTS * WAITING_PER_SLOT;
const SENDS = 1;
const FETCHES = LISTS * FETCHES_PER_LIST_SLOT;
const FETCHES_WAITING = FETCHES * WAITING_PER_SLOT;
const A_NUMBER = '+15551239701';
const B_NUMBER = '+15551239702';
let server: TestServer;
let a: TestProject;
let b: TestProject;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startTestServer({ maxListRequestsPerProject: LISTS, maxSendRequestsPerProject: SENDS });
  a = await createProject(server, { name: 'Greedy tenant', number: A_NUMBER });
  b = await createProject(server, { name: 'Other tenant', number: B_NUMBER });
  for (let i = 0; i < 3; i++) {
    const sent = await server.api('/api/messaging/messages', { auth: a.auth, body: { from: A_NUMBER, to: '+15557001111', body: `A ${i}` } });
    expect(sent.status, sent.text).toBe(201);
  }
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server?.stop();
});



function request(method: string, path: string, auth: string, body?: unknown): string {
  const text = body === undefined ? '' : JSON.stringify(body);
  const type = body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n`;
  return `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n${type}\r\n${text}`;
}

/** Write each connection's request in one go (the same turn of the server's loop), then read every answer. */
async function burst(requests: Array<{ from: string; text: string }>): Promise<KeptAnswer[]> {
  const connections = await Promise.all(requests.map((r) => openKeptConnection(server.port, r.from, sockets)));
  connections.forEach((c, i) => c.socket.write(requests[i]!.text));
  return Promise.all(connections.map((c) => c.next()));
}

describe("one client's burst", () => {
  it(`runs ${LISTS} of a project's lists, lets ${WAITING} wait, refuses the rest (429) and serves another project's list`, async () => {
    const list = '/api/messaging/logs?page_size=50';
    const n = LISTS + WAITING + 4;
    const answers = await burst([
      ...Array.from({ length: n }, () => ({ from: '127.0.0.2', text: request('GET', list, a.auth) })),
      { from: '127.0.0.3', text: request('GET', list, b.auth) },
    ]);
    const mine = answers.slice(0, n);
    const served = mine.filter((x) => x.status === 200);
    const refused = mine.filter((x) => x.status !== 200);
    expect(served.length).toBeLessThanOrEqual(LISTS + WAITING);
    expect(served.every((x) => x.body.data.length === 3)).toBe(true);
    expect(refused.length).toBeGreaterThanOrEqual(n - LISTS - WAITING);
    for (const x of refused) {
      expect(x.status).toBe(429);
      expect(x.retryAfter).toBe('1');
      expect(x.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining(`already has ${LISTS} list requests in progress and ${WAITING} waiting`) });
    }
    expect(answers[n]!.status).toBe(200);
    expect(answers[n]!.body.data).toEqual([]);
  });

  it(`serves every list of a burst that fits the slots and their waiting room (${LISTS + WAITING}), in turn`, async () => {
    const list = '/api/messaging/logs?page_size=50';
    const answers = await burst(Array.from({ length: LISTS + WAITING }, () => ({ from: '127.0.0.2', text: request('GET', list, a.auth) })));
    expect(answers.map((x) => x.status)).toEqual(Array.from({ length: LISTS + WAITING }, () => 200));
  });

  it(`runs ${FETCHES} of a project's single fetches, lets ${FETCHES_WAITING} wait, refuses the rest (429) and serves another project's fetch`, async () => {
    const logs = await server.api('/api/messaging/logs?page_size=1', { auth: a.auth });
    const id = logs.body.data[0].id as string;
    const n = FETCHES + FETCHES_WAITING + 8;
    const answers = await burst([
      ...Array.from({ length: n }, () => ({ from: '127.0.0.2', text: request('GET', `/api/messaging/logs/${id}`, a.auth) })),
      { from: '127.0.0.3', text: request('GET', `/api/messaging/logs/${id}`, b.auth) },
    ]);
    const mine = answers.slice(0, n);
    const served = mine.filter((x) => x.status === 200);
    const refused = mine.filter((x) => x.status !== 200);
    expect(served.length).toBeLessThanOrEqual(FETCHES + FETCHES_WAITING);
    expect(served.every((x) => x.body.id === id)).toBe(true);
    expect(refused.length).toBeGreaterThanOrEqual(n - FETCHES - FETCHES_WAITING);
    for (const x of refused) {
      expect(x.status).toBe(429);
      expect(x.retryAfter).toBe('1');
      expect(x.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining(`already has ${FETCHES} fetches in progress and ${FETCHES_WAITING} waiting`) });
    }
    // Another project's fetch is served (its answer: the message is not its own).
    expect(answers[n]!.status).toBe(404);
  });

  it(`runs ${SENDS} of a project's sends, lets ${SENDS} wait, refuses the rest (429) and sends another project's message`, async () => {
    const send = (from: string, i: number) => ({ from: from === A_NUMBER ? '127.0.0.2' : '127.0.0.3', text: request('POST', '/api/messaging/messages', from === A_NUMBER ? a.auth : b.auth, { from, to: `+155570020${String(i).padStart(2, '0')}`, body: 'burst' }) });
    const answers = await burst([...Array.from({ length: 8 }, (_, i) => send(A_NUMBER, i)), send(B_NUMBER, 99)]);
    const mine = answers.slice(0, 8);
    const sent = mine.filter((x) => x.status === 201);
    const refused = mine.filter((x) => x.status !== 201);
    expect(sent.length).toBeLessThanOrEqual(2 * SENDS);
    expect(refused.length).toBeGreaterThanOrEqual(8 - 2 * SENDS);
    for (const x of refused) {
      expect(x.status).toBe(429);
      expect(x.retryAfter).toBe('1');
      expect(x.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining(`already has ${SENDS} sends in progress and ${SENDS} waiting`) });
    }
    expect(answers[8]!.status).toBe(201);
    expect(answers[8]!.body).toMatchObject({ from: B_NUMBER, status: expect.any(String) });
  });
});
