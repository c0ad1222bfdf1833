/**
 * Each console login stores a session row until it expires (up to 7 days), so a client logging in
 * in a loop filled the table. One API token now keeps at most `console.maxSessionsPerToken`
 * sessions: a login past it ends the token's oldest, never refuses the new one, and leaves other
 * tokens' sessions alone. Logins at once count one after the other.
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Database } from '../../src/store/schema.js';
import { projectService } from '../helpers/projects.js';
import { PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { loginAs, type ConsoleClient } from './console-client.js';

const MAX = 3;
let server: TestServer;
/** Tokens of the configured project, issued before any login (the node caches a project's tokens). */
let human: { id: string; token: string };
let script: { id: string; token: string };
let atOnce: { id: string; token: string };

beforeAll(async () => {
  server = await startTestServer({ consoleMaxSessionsPerToken: MAX });
  [human, script, atOnce] = await Promise.all([token('human'), token('script'), token('at once')]);
});
afterAll(async () => {
  await server.stop();
});

async function token(name: string): Promise<{ id: string; token: string }> {
  const issued = await projectService(server).issueToken(PROJECT_ID, { name });
  return { id: issued.record.id, token: issued.token };
}

const isOpen = async (c: ConsoleClient) => ((await c.call('/api/console/session')).body as { authenticated: boolean }).authenticated;

/** Session rows the token has in the store. */
async function rowsOf(tokenId: string): Promise<number> {
  const db = (server.store as KyselyStore).db as Kysely<Database>;
  const row = await db.selectFrom('console_sessions').where('token_id', '=', tokenId).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('console sessions per API token', () => {
  it(`keeps the newest ${MAX} of a token's logins, ending the oldest, and leaves other tokens' sessions open`, async () => {
    const kept = await loginAs(server, PROJECT_ID, human.token);

    const logins: ConsoleClient[] = [];
    for (let i = 0; i < MAX + 2; i++) logins.push(await loginAs(server, PROJECT_ID, script.token));
    expect(await Promise.all(logins.map(isOpen))).toEqual([false, false, true, true, true]);
    expect(await rowsOf(script.id)).toBe(MAX);
    // An ended session is asked to log in again on its next change.
    expect((await logins[0]!.call('/api/messaging/opt_outs', { body: { sender: '+15551230001', handset: '+15557440001' } })).status).toBe(401);

    expect(await isOpen(kept)).toBe(true);
    expect(await rowsOf(human.id)).toBe(1);
  });

  it(`keeps ${MAX} of 8 logins made at once`, async () => {
    const first = await loginAs(server, PROJECT_ID, atOnce.token);
    const logins = await Promise.all(Array.from({ length: 8 }, () => loginAs(server, PROJECT_ID, atOnce.token)));
    expect(await rowsOf(atOnce.id)).toBe(MAX);
    expect((await Promise.all(logins.map(isOpen))).filter(Boolean)).toHaveLength(MAX);
    expect(await isOpen(first)).toBe(false);
  });
});
