/**
 * The handset inbox's long poll (`GET /api/simulator/messages/wait`) as a greedy client uses it.
 * Its first look at the inbox is the list's query (up to the project's whole inbox, 10,000 rows, read
 * for a `contains` that matches nothing), but it did not pass through the list bound: one client
 * pipelining waits with `timeout=0` on many connections had every look run, back to back, where
 * the same lists are refused past the project's slots and their waiting room. And nothing bounded
 * how many waits one project keeps open: each holds a connection, a timer and a subscriber that
 * every handset message of every project is offered to, for up to 120 s. Another project's wait
 * is served throughout. Nothing here is timed: requests are written together, then their answers read.
 */
import type { Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WAITING_PER_SLOT } from '../src/http/project-slot-route.js';
import { MAX_WAITS_PER_PROJECT } from '../src/http/simulator/waits.js';
import { sendMessage } from './helpers/messages.js';
import { openKeptConnection, type KeptAnswer } from './helpers/kept-connection.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { eventually, startTestServer, type TestServer } from './helpers/server.js';

const A_NUMBER = '+15551239801';
const B_NUMBER = '+15551239802';
const sockets: Socket[] = [];
const servers: TestServer[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
});



const get = (path: string, auth: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`;

/** Write each connection's request in one go (the same turn of the server's loop), then read every answer. */
async function burst(server: TestServer, requests: Array<{ from: string; text: string }>): Promise<KeptAnswer[]> {
  const connections = await Promise.all(requests.map((r) => openKeptConnection(server.port, r.from, sockets)));
  connections.forEach((c, i) => c.socket.write(requests[i]!.text));
  return Promise.all(connections.map((c) => c.next()));
}

async function twoTenants(overrides: Parameters<typeof startTestServer>[0]): Promise<{ server: TestServer; a: TestProject; b: TestProject }> {
  const server = await startTestServer(overrides);
  servers.push(server);
  return { server, a: await createProject(server, { name: 'Greedy tenant', number: A_NUMBER }), b: await createProject(server, { name: 'Polite tenant', number: B_NUMBER }) };
}

describe('a burst of waits', () => {
  const LISTS = 2;
  const WAITING = LISTS * WAITING_PER_SLOT;

  it(`looks at the inbox in the project's list slots: ${LISTS} run, ${WAITING} wait, the rest are refused (429), another project's wait is served`, async () => {
    const { server, a, b } = await twoTenants({ maxListRequestsPerProject: LISTS });
    const wait = '/api/simulator/messages/wait?contains=nothing-matches&timeout=0';
    const n = LISTS + WAITING + 4;
    const answers = await burst(server, [...Array.from({ length: n }, () => ({ from: '127.0.0.2', text: get(wait, a.auth) })), { from: '127.0.0.3', text: get(wait, b.auth) }]);
    const mine = answers.slice(0, n);
    const looked = mine.filter((x) => x.status === 408);
    const refused = mine.filter((x) => x.status !== 408);
    expect(looked.length).toBeLessThanOrEqual(LISTS + WAITING);
    expect(refused.length).toBeGreaterThanOrEqual(n - LISTS - WAITING);
    for (const x of refused) {
      expect(x.status).toBe(429);
      expect(x.retryAfter).toBe('1');
      expect(x.body).toEqual({ error: 'Too Many Requests', message: expect.stringContaining(`already has ${LISTS} list requests in progress and ${WAITING} waiting`) });
    }
    expect(answers[n]!.status).toBe(408);
  });
});

describe("one project's open waits", () => {
  it(`are at most ${MAX_WAITS_PER_PROJECT} per node: one more is refused (429) at once, another project's wait is served, and the held ones still get their message`, async () => {
    // Lists enough that no look is refused here: only the waits' own bound is tested.
    const { server, a, b } = await twoTenants({ maxListRequestsPerProject: 64 });
    const handset = '+15557008801';
    const wait = `/api/simulator/messages/wait?to=${encodeURIComponent(handset)}&timeout=60`;
    const held = await Promise.all(Array.from({ length: MAX_WAITS_PER_PROJECT }, (_, i) => openKeptConnection(server.port, i < 128 ? '127.0.0.2' : '127.0.0.4', sockets)));
    held.forEach((c) => c.socket.write(get(wait, a.auth)));
    const probe = `/api/simulator/messages/wait?to=${encodeURIComponent(handset)}&timeout=0`;
    const refusal = await eventually(async () => {
      const res = await server.api(probe, { auth: a.auth });
      return res.status === 429 ? res : undefined;
    });
    expect(refusal.headers.get('retry-after')).toBe('1');
    expect(refusal.body).toEqual({ error: 'Too Many Requests', message: `Too Many Requests: this project already has ${MAX_WAITS_PER_PROJECT} waits for a handset message open on this server; wait for fewer messages at once, or retry when one has ended.` });
    // Another project, from another address, is served while they are held.
    const other = await server.api(`/api/simulator/messages/wait?to=${encodeURIComponent(handset)}&timeout=0`, { auth: b.auth });
    expect(other.status).toBe(408);
    // Every held wait gets the message it waited for.
    const sent = await sendMessage(server, { from: A_NUMBER, to: handset, body: 'Your code is 5150' }, a.auth);
    const answers = await Promise.all(held.map((c) => c.next()));
    expect(answers.map((x) => [x.status, x.body.message_id])).toEqual(held.map(() => [200, sent.id]));
    // Ended, they no longer count.
    expect((await server.api(probe, { auth: a.auth })).status).toBe(200);
  });
});

describe('a wait with timeout=0', () => {
  it('answers a message already in the inbox: it looks before its time is up, however long the look takes (PostgreSQL)', async () => {
    const { server, a } = await twoTenants({});
    const handset = '+15557008802';
    const sent = await sendMessage(server, { from: A_NUMBER, to: handset, body: 'Your code is 6160' }, a.auth);
    const path = `/api/simulator/messages/wait?to=${encodeURIComponent(handset)}`;
    const first = await server.api(`${path}&timeout=10`, { auth: a.auth });
    expect([first.status, first.body.message_id]).toEqual([200, sent.id]);
    for (let i = 0; i < 5; i++) {
      const again = await server.api(`${path}&timeout=0`, { auth: a.auth });
      expect([again.status, again.body.message_id]).toEqual([200, sent.id]);
    }
  });
});
