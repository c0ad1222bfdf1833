/**
 * The most phone numbers, number groups, cXML applications and API-added opt-outs one project may
 * have (`projects.maxNumbers`, `projects.maxNumberGroups`, `projects.maxApplications`,
 * `projects.maxOptOuts`): without them any
 * valid credentials could fill the node's storage. Small limits here; each test uses its own
 * project, and creates more at once than fit, so the count must be taken with the insert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from './console/console-client.js';
import { createProject, type TestProject } from './helpers/projects.js';
import { API_TOKEN, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const MAX_NUMBERS = 3;
const MAX_GROUPS = 2;
const MAX_APPLICATIONS = 2;
const MAX_OPT_OUTS = 3;
/** Creates sent at once: more than any limit above, and each answered on its own. */
const AT_ONCE = 8;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ maxNumbersPerProject: MAX_NUMBERS, maxNumberGroupsPerProject: MAX_GROUPS, maxApplicationsPerProject: MAX_APPLICATIONS, maxOptOutsPerProject: MAX_OPT_OUTS });
});
afterAll(async () => {
  await server.stop();
});

const NUMS = '/api/relay/rest/phone_numbers';
const GROUPS = '/api/relay/rest/number_groups';
const compat = (p: TestProject, resource: string) => `/api/laml/2010-04-01/Accounts/${p.projectId}/${resource}.json`;

/** Send `count` requests at once; their answers in order. */
function atOnce(count: number, request: (i: number) => ReturnType<TestServer['api']>) {
  return Promise.all(Array.from({ length: count }, (_, i) => request(i)));
}

describe('phone numbers per project', () => {
  it(`keeps ${MAX_NUMBERS} of ${AT_ONCE} concurrent registrations, refuses the rest in each surface's shape, and takes one again after a release`, async () => {
    const p = await createProject(server, { name: 'numbers' });
    const answers = await atOnce(AT_ONCE, (i) => server.api(NUMS, { auth: p.auth, body: { number: `+1555741${String(i).padStart(4, '0')}` } }));
    const kept = answers.filter((a) => a.status === 200);
    expect(kept).toHaveLength(MAX_NUMBERS);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status, a.text).toBe(422);
      expect(a.body).toEqual({ errors: [{ code: 'phone_number_limit_reached', status: '422', title: 'Invalid Attribute', detail: expect.stringContaining(`${MAX_NUMBERS} phone numbers`) }] });
    }
    expect((await server.api(`${NUMS}?page_size=100`, { auth: p.auth })).body.data).toHaveLength(MAX_NUMBERS);

    // The Compatibility API's IncomingPhoneNumbers: Twilio's flat shape, a 400.
    const refused = await server.api(compat(p, 'IncomingPhoneNumbers'), { auth: p.auth, body: { PhoneNumber: '+15557419999' } });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body).toEqual({ code: 10000, message: expect.stringContaining(`${MAX_NUMBERS} phone numbers`), more_info: expect.stringContaining('#10000'), status: 400 });

    // The console adds numbers through the native route with its session: the same answer, which it shows.
    const session = await loginAs(server, p.projectId, p.token);
    const fromConsole = await session.call(NUMS, { body: { number: '+15557419998' } });
    expect(fromConsole.status).toBe(422);
    expect(fromConsole.body.errors[0]).toMatchObject({ code: 'phone_number_limit_reached', detail: expect.stringContaining('release one first') });

    expect((await server.api(`${NUMS}/${kept[0]!.body.id}`, { method: 'DELETE', auth: p.auth })).status).toBe(204);
    expect((await server.api(compat(p, 'IncomingPhoneNumbers'), { auth: p.auth, body: { PhoneNumber: '+15557419999' } })).status).toBe(201);

    // Per project: another project is not affected by this one's numbers.
    const other = await createProject(server, { name: 'numbers, other' });
    expect((await server.api(NUMS, { auth: other.auth, body: { number: '+15557429999' } })).status).toBe(200);
  });
});

describe('number groups per project', () => {
  it(`keeps ${MAX_GROUPS} of ${AT_ONCE} concurrent creates and refuses the rest with number_group_limit_reached`, async () => {
    const p = await createProject(server, { name: 'groups' });
    const answers = await atOnce(AT_ONCE, (i) => server.api(GROUPS, { auth: p.auth, body: { name: `group ${i}` } }));
    const kept = answers.filter((a) => a.status === 200);
    expect(kept).toHaveLength(MAX_GROUPS);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status, a.text).toBe(422);
      expect(a.body).toEqual({ errors: [{ code: 'number_group_limit_reached', status: '422', title: 'Invalid Attribute', detail: expect.stringContaining(`${MAX_GROUPS} number groups`) }] });
    }
    expect((await server.api(`${GROUPS}/${kept[0]!.body.id}`, { method: 'DELETE', auth: p.auth })).status).toBe(204);
    expect((await server.api(GROUPS, { auth: p.auth, body: { name: 'again' } })).status).toBe(200);
  });
});

describe('cXML applications per project', () => {
  it(`keeps ${MAX_APPLICATIONS} of ${AT_ONCE} concurrent creates and refuses the rest with Twilio's 21301`, async () => {
    const p = await createProject(server, { name: 'applications' });
    const answers = await atOnce(AT_ONCE, (i) => server.api(compat(p, 'Applications'), { auth: p.auth, body: { FriendlyName: `app ${i}` } }));
    const kept = answers.filter((a) => a.status === 201);
    expect(kept).toHaveLength(MAX_APPLICATIONS);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status, a.text).toBe(400);
      expect(a.body).toEqual({ code: 21301, message: expect.stringContaining(`${MAX_APPLICATIONS} cXML applications`), more_info: 'https://www.twilio.com/docs/errors/21301', status: 400 });
    }
    const one = `/api/laml/2010-04-01/Accounts/${p.projectId}/Applications/${kept[0]!.body.sid}.json`;
    expect((await server.api(one, { method: 'DELETE', auth: p.auth })).status).toBe(204);
    expect((await server.api(compat(p, 'Applications'), { auth: p.auth, body: { FriendlyName: 'again' } })).status).toBe(201);
  });
});

describe('opt-outs per project', () => {
  const OPT_OUTS = '/api/messaging/opt_outs';
  const FROM = NUMBERS[0]!;
  const listed = async (handset: string) => (await server.api(`${OPT_OUTS}?handset=${encodeURIComponent(handset)}`)).body.data as Array<{ id: string; source: string }>;

  it(`keeps ${MAX_OPT_OUTS} of ${AT_ONCE} concurrent API adds, still lists a handset that texts STOP past the limit, and counts it`, async () => {
    // The configured project, whose numbers the simulator's handsets can text.
    const answers = await atOnce(AT_ONCE, (i) => server.api(OPT_OUTS, { body: { sender: FROM, handset: `+1555743${String(i).padStart(4, '0')}` } }));
    const kept = answers.filter((a) => a.status === 201);
    expect(kept).toHaveLength(MAX_OPT_OUTS);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status, a.text).toBe(422);
      // The shape of /api/messaging's errors (the native messaging API's, not /api/relay/rest's).
      expect(a.body).toEqual({ errors: [{ type: 'account_error', code: 'opt_out_limit_reached', attribute: 'base', message: expect.stringContaining(`${MAX_OPT_OUTS} entries`), url: expect.stringContaining('#opt_out_limit_reached') }] });
    }
    expect((await server.api(`${OPT_OUTS}?page_size=100`)).body.data).toHaveLength(MAX_OPT_OUTS);
    // One already listed is still answered with its entry.
    const again = await server.api(OPT_OUTS, { body: { sender: FROM, handset: kept[0]!.body.handset } });
    expect(again.status, again.text).toBe(201);
    expect(again.body.id).toBe(kept[0]!.body.id);

    // A handset's STOP is honoured whatever the count: it is listed, and sends to it are refused.
    const handset = '+15557439999';
    expect((await server.api('/api/simulator/inbound', { body: { from: handset, to: FROM, body: 'STOP' } })).status).toBe(201);
    expect((await listed(handset)).map((o) => o.source)).toEqual(['keyword']);
    const send = await server.api('/api/messaging/messages', { body: { from: FROM, to: handset, body: 'hello' } });
    expect(send.body?.errors?.[0]?.code ?? send.text).toBe('recipient_opted_out');

    // The console adds through the same route with its session: the same answer, which it shows.
    const session = await loginAs(server, PROJECT_ID, API_TOKEN);
    const fromConsole = await session.call(OPT_OUTS, { body: { sender: FROM, handset: '+15557439998' } });
    expect(fromConsole.status).toBe(422);
    expect(fromConsole.body.errors[0]).toMatchObject({ code: 'opt_out_limit_reached', message: expect.stringContaining('remove one first') });

    // The STOP counts: removing one API entry leaves the lists full (3 + 1 - 1)…
    expect((await server.api(`${OPT_OUTS}/${kept[0]!.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(OPT_OUTS, { body: { sender: FROM, handset: '+15557439998' } })).status).toBe(422);
    // …and the handset's START gives one back.
    expect((await server.api('/api/simulator/inbound', { body: { from: handset, to: FROM, body: 'START' } })).status).toBe(201);
    expect(await listed(handset)).toEqual([]);
    expect((await server.api(OPT_OUTS, { body: { sender: FROM, handset: '+15557439998' } })).status).toBe(201);
  });
});
