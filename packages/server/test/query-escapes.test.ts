/**
 * A query string is percent-decoded as a form body is (http/percent-decoding.ts). Fastify's parser
 * kept a value with one escape it could not decode whole and undecoded: `filter_name=caf%C3%A9%20100%`
 * (a stray `%`) searched for those 23 characters, not "café 100%", and `%FF` (a byte that is not
 * UTF-8) for the 3 characters `%FF`, answering an empty list where a form body or a path with the
 * same escape is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneNumberId } from './helpers/projects.js';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

const COMPAT = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const id = await phoneNumberId(server, NUMBERS[1]!);
  expect((await server.api(`/api/relay/rest/phone_numbers/${id}`, { method: 'PUT', body: { name: 'café 100%' } })).status).toBe(200);
});
afterAll(() => server?.stop());

describe('query strings with escapes that do not all decode', () => {
  it.each([
    { path: '/api/relay/rest/phone_numbers?filter_name=caf%C3%A9%20100%', numbers: (b: any) => b.data.map((n: any) => n.number) },
    { path: `${COMPAT}/IncomingPhoneNumbers.json?FriendlyName=caf%C3%A9%20100%`, numbers: (b: any) => b.incoming_phone_numbers.map((n: any) => n.phone_number) },
  ])('a stray % is itself and the other escapes are read: $path', async ({ path, numbers }) => {
    const res = await server.api(path);
    expect(res.status, res.text).toBe(200);
    expect(numbers(res.body)).toEqual([NUMBERS[1]]);
  });

  it('escaped bytes that are not UTF-8 are refused in the native shapes, naming the parameter', async () => {
    const logs = await server.api('/api/messaging/logs?to=%FF');
    expect(logs.status, logs.text).toBe(422);
    expect(logs.body.errors).toEqual([expect.objectContaining({ code: 'invalid_parameter', attribute: 'to', message: expect.stringContaining('not valid UTF-8') })]);

    const numbers = await server.api('/api/relay/rest/phone_numbers?filter_name=%ED%A0%80');
    expect(numbers.status, numbers.text).toBe(422);
    expect(numbers.body.errors).toEqual([expect.objectContaining({ status: '422', code: 'invalid_parameter', detail: expect.stringContaining("'filter_name' is not valid UTF-8") })]);

    const console = await server.api('/api/console/messages?q=caf%E9');
    expect(console.status, console.text).toBe(422);
    expect(console.body.errors[0]).toMatchObject({ code: 'invalid_parameter', attribute: 'q' });
  });

  it('and in the Compatibility API shape', async () => {
    const res = await server.api(`${COMPAT}/Messages.json?To=%2B1555%C3`);
    expect(res.status, res.text).toBe(400);
    expect(res.body).toMatchObject({ code: 10000, status: 400, message: expect.stringContaining("'To' is not valid UTF-8") });
  });
});
