/**
 * A STOP to a number in many number groups: the handset goes on the list of the number and of each
 * of its groups, one entry each, more than one SQL statement binds (SQLite takes 32,766 parameters,
 * past 5,461 groups, within the default projects.maxNumberGroups of 10,000; PostgreSQL 65,535,
 * past 10,922 with the limit raised). The STOP was
 * answered 500 and not recorded, so the number went on texting a handset that had opted out; the
 * START was refused the same way. Runs on SQLite, and on PostgreSQL with
 * SWITCHBOARD_TEST_DATABASE_URL set.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const NUMBER = '+15551239931';
const HANDSET = '+15557009931';
/** Past what one statement binds on either database, for the STOP's insert and the START's delete. */
const GROUPS = 17_000;

let server: TestServer;
let tenant: TestProject;

beforeAll(async () => {
  server = await startTestServer({ maxNumberGroupsPerProject: GROUPS });
  tenant = await createProject(server, { name: 'Many groups', number: NUMBER });
  const numberId = (await server.api(`/api/relay/rest/phone_numbers?filter_number=${encodeURIComponent(NUMBER)}`, { auth: tenant.auth })).body.data[0].id;
  // The groups and memberships the API would make one request each, written a thousand at a time.
  const db = (server.store as KyselyStore).db;
  const now = Date.now();
  for (let i = 0; i < GROUPS; i += 1_000) {
    const ids = Array.from({ length: Math.min(1_000, GROUPS - i) }, () => randomUUID());
    await db.insertInto('number_groups').values(ids.map((id, j) => ({ id, project_id: tenant.projectId, name: `group ${i + j}`, sticky_sender: 0, created_at: now, updated_at: now }))).execute();
    await db.insertInto('number_group_memberships').values(ids.map((group_id) => ({ id: randomUUID(), project_id: tenant.projectId, group_id, phone_number_id: numberId, created_at: now, updated_at: now }))).execute();
  }
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function entriesOf(handset: string): Promise<number> {
  const db = (server.store as KyselyStore).db;
  const row = await db.selectFrom('opt_outs').where('project_id', '=', tenant.projectId).where('handset', '=', handset).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

const handsetSays = (body: string) => server.api('/api/simulator/inbound', { auth: tenant.auth, body: { from: HANDSET, to: NUMBER, body } });
const send = () => server.api('/api/messaging/messages', { auth: tenant.auth, body: { from: NUMBER, to: HANDSET, body: 'still there?' } });

describe('a STOP to a number in more groups than one statement binds', () => {
  it('lists the handset for the number and every group, and a START takes it off them all', async () => {
    const stop = await handsetSays('STOP');
    expect(stop.status, stop.text).toBe(201);
    expect(await entriesOf(HANDSET)).toBe(GROUPS + 1);
    const refused = await send();
    expect([refused.status, refused.body.errors?.[0]?.code]).toEqual([422, 'recipient_opted_out']);

    const start = await handsetSays('START');
    expect(start.status, start.text).toBe(201);
    expect(await entriesOf(HANDSET)).toBe(0);
    expect((await send()).status).toBe(201);
  });
});
