/**
 * Date filters read by the one domain parser (domain/dates.ts) on every surface: a calendar date
 * is a UTC day, a date-time needs its zone, and an impossible date or a zone-less date-time is a
 * clear error in the surface's own shape — never another day (2024-02-30 used to mean 1 March on
 * the Compatibility API) and never the server's local time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type ConsoleClient } from './console/console-client.js';
import { insertMessages } from './helpers/messages.js';
import { messageRow } from './helpers/records.js';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const LOGS = '/api/messaging/logs';
const COMPAT = `/2010-04-01/Accounts/${PROJECT_ID}/Messages.json`;
// Stored straight into the store: the API cannot send messages in the past.
const AT = { feb29: Date.parse('2024-02-29T10:00:00Z'), mar1: Date.parse('2024-03-01T10:00:00Z'), noon: Date.parse('2024-05-06T12:20:00Z') };

let server: TestServer;
let console_: ConsoleClient;
const bodyOf = new Map<string, string>();

beforeAll(async () => {
  server = await startTestServer();
  console_ = await loginAs(server, PROJECT_ID, API_TOKEN);
  const rows = Object.entries(AT).map(([name, at]) => messageRow(PROJECT_ID, { createdAt: at, sentAt: at, body: name }));
  for (const m of await insertMessages(server, rows)) bodyOf.set(m.id, m.body);
});
afterAll(async () => {
  await server.stop();
});

const query = (q: Record<string, string>) => new URLSearchParams(q).toString();

/** The bodies of the messages a list answers with (`data` natively, `messages` on the Compatibility API). */
async function listed(path: string, q: Record<string, string>): Promise<string[]> {
  const res = await server.api(`${path}?${query(q)}`);
  expect(res.status, res.text).toBe(200);
  return (res.body.data ?? res.body.messages).map((m: any) => bodyOf.get(m.sid ?? m.id));
}

/** 422 with one `datetime_required` naming the parameter, in the native shape. */
function expectNativeDateError(res: { status: number; body: any }, attribute: string): void {
  expect(res.status).toBe(422);
  expect(res.body.errors).toEqual([expect.objectContaining({ type: 'validation_error', code: 'datetime_required', attribute })]);
}

/** 400 with code 10000, in Twilio's flat shape. */
function expectCompatDateError(res: { status: number; body: any }, parameter: string): void {
  expect(res.status).toBe(400);
  expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'more_info', 'status']);
  expect(res.body).toMatchObject({ code: 10000, status: 400 });
  expect(res.body.message).toContain(parameter);
}

const refused: Array<[string, string]> = [
  ['an impossible date', '2024-02-30'],
  ['February 29th of a common year', '2023-02-29'],
  ['a zone-less date-time', '2024-05-06T12:20:00'],
  ['a zone-less date-time without seconds', '2024-05-06T12:20'],
  ['hour 24', '2024-05-06T24:00:00Z'],
];

type Answer = { status: number; body: any };

describe.each([
  { surface: 'native logs (422 datetime_required)', params: ['created_on', 'created_before', 'created_after'], get: (q: string): Promise<Answer> => server.api(`${LOGS}?${q}`), expectDateError: expectNativeDateError },
  { surface: 'Compatibility API (400, 10000)', params: ['DateSent', 'DateSent<', 'DateSent>'], get: (q: string): Promise<Answer> => server.api(`${COMPAT}?${q}`), expectDateError: expectCompatDateError },
  { surface: 'console (422 datetime_required)', params: ['since', 'until'], get: (q: string): Promise<Answer> => console_.call(`/api/console/messages?${q}`), expectDateError: expectNativeDateError },
])('$surface', ({ params, get, expectDateError }) => {
  it.each(refused)('refuses %s (%s) in its own error shape', async (_what, value) => {
    for (const param of params) expectDateError(await get(query({ [param]: value })), param);
  });
});

describe('good dates', () => {
  it('native logs read a date as its UTC day and a date-time in the zone it names', async () => {
    expect(await listed(LOGS, { created_on: '2024-02-29' })).toEqual(['feb29']);
    expect(await listed(LOGS, { created_on: '2024-03-01' })).toEqual(['mar1']);
    expect(await listed(LOGS, { created_after: '2024-05-06T14:19:59+02:00' })).toEqual(['noon']);
    expect(await listed(LOGS, { created_before: '2024-05-06T14:20:00.000+02:00' })).toEqual(['mar1', 'feb29']);
  });

  it('the Compatibility API accepts what the official clients send: YYYY-MM-DD, and date-times in UTC with Z', async () => {
    expect(await listed(COMPAT, { DateSent: '2024-02-29' })).toEqual(['feb29']);
    expect(await listed(COMPAT, { DateSent: '2024-03-01' })).toEqual(['mar1']);
    // A date-time on DateSent means its UTC day (the SDKs send a Date as a date-time).
    expect(await listed(COMPAT, { DateSent: '2024-05-06T00:00:00Z' })).toEqual(['noon']);
    expect(await listed(COMPAT, { 'DateSent>': '2024-03-01T10:00:00Z', 'DateSent<': '2024-05-06T12:19:59Z' })).toEqual(['mar1']);
  });

  it('the console reads until=YYYY-MM-DD as the end of that UTC day', async () => {
    const res = await console_.call(`/api/console/messages?${query({ since: '2024-02-29', until: '2024-03-01' })}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((m: any) => m.body)).toEqual(['mar1', 'feb29']);
  });
});
