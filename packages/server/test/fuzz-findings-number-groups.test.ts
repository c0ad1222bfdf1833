/**
 * Found by a black-box fuzz campaign, on the native number groups: a `name` that is no string
 * (`{"name": 1}`, `["g"]`, `true`) was refused with "Name can't be blank", though it was not blank;
 * and a membership without `phone_number_id` (`{}`, or null) with "phone_number_id null is not a
 * phone number of your project", as if an id had been given. Each now says what is wrong:
 * "Name must be a string" quoting the value; "phone_number_id is required". A blank name is still
 * "Name can't be blank" (SignalWire's words), an unknown id still "… is not a phone number of your project".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let group: string;
beforeAll(async () => {
  server = await startTestServer();
  group = (await server.api('/api/relay/rest/number_groups', { body: { name: 'fuzz' } })).body.id;
});
afterAll(() => server?.stop());

const detailOf = (res: { body: { errors: { detail: string }[] } }) => res.body.errors[0]!.detail;

describe('a number group name that is no string', () => {
  it('is refused as no string on create and update, not as blank; nothing changes', async () => {
    for (const [name, shown] of [
      [1, '1'],
      [['g'], '["g"]'],
      [true, 'true'],
      [{ a: 1 }, '{"a":1}'],
    ] as const) {
      for (const [method, path] of [
        ['POST', '/api/relay/rest/number_groups'],
        ['PUT', `/api/relay/rest/number_groups/${group}`],
      ] as const) {
        const res = await server.api(path, { method, body: { name } });
        expect(res.status, `${method} ${shown}: ${res.text}`).toBe(422);
        expect(detailOf(res), `${method} ${shown}`).toBe(`Name must be a string (got ${shown})`);
      }
    }
    expect((await server.api(`/api/relay/rest/number_groups/${group}`)).body.name).toBe('fuzz');
    expect((await server.api('/api/relay/rest/number_groups')).body.data).toHaveLength(1);
  });

  it("a blank or missing name is still \"Name can't be blank\"", async () => {
    for (const body of [{}, { name: null }, { name: '' }, { name: '  ' }]) {
      const res = await server.api(`/api/relay/rest/number_groups/${group}`, { method: 'PUT', body });
      expect(res.status, res.text).toBe(422);
      expect(detailOf(res)).toBe("Name can't be blank");
    }
  });
});

describe('a membership without phone_number_id', () => {
  it('is refused as missing, not as an id that names no number', async () => {
    const path = `/api/relay/rest/number_groups/${group}/number_group_memberships`;
    for (const body of [{}, { phone_number_id: null }, { phone_number_id: '' }]) {
      const res = await server.api(path, { body });
      expect(res.status, res.text).toBe(422);
      expect(detailOf(res)).toBe('phone_number_id is required: the id of one of your phone numbers.');
    }
    const unknown = await server.api(path, { body: { phone_number_id: 'x' } });
    expect(detailOf(unknown)).toBe('phone_number_id "x" is not a phone number of your project');
    expect((await server.api(path)).body.data).toEqual([]);
  });
});
