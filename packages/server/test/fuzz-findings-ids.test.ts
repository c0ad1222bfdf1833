/**
 * Found by a black-box fuzz campaign: an id written in capitals (a UUID is case-insensitive on
 * input, RFC 9562 §4) named its resource on the Compatibility API and the opt-outs, but was a 404
 * on the native messaging, number and number-group routes and the console's, and a 422 as a
 * membership's `phone_number_id`. Every such path parameter, and `phone_number_id`, now reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('ids written in capitals', () => {
  it('name the same message, phone number and number group on the native and console routes', async () => {
    const sent = await server.api('/api/messaging/messages', { body: { to: '+15551239999', from: NUMBERS[0], body: 'capitals' } });
    expect(sent.status, sent.text).toBe(201);
    const message = sent.body.id as string;
    const log = await server.api(`/api/messaging/logs/${message.toUpperCase()}`);
    expect(log.status, log.text).toBe(200);
    expect(log.body.id).toBe(message);
    const consoleView = await server.api(`/api/console/messages/${message.toUpperCase()}`);
    expect(consoleView.status, consoleView.text).toBe(200);

    const numbers = await server.api('/api/relay/rest/phone_numbers');
    const number = numbers.body.data.find((n: { number: string }) => n.number === NUMBERS[1]).id as string;
    const fetched = await server.api(`/api/relay/rest/phone_numbers/${number.toUpperCase()}`);
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body.id).toBe(number);

    const group = (await server.api('/api/relay/rest/number_groups', { body: { name: 'capitals' } })).body.id as string;
    const renamed = await server.api(`/api/relay/rest/number_groups/${group.toUpperCase()}`, { method: 'PUT', body: { name: 'CAPITALS' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ id: group, name: 'CAPITALS' });

    const member = await server.api(`/api/relay/rest/number_groups/${group.toUpperCase()}/number_group_memberships`, { body: { phone_number_id: number.toUpperCase() } });
    expect(member.status, member.text).toBe(200);
    expect(member.body.phone_number.id).toBe(number);
    const removed = await server.api(`/api/relay/rest/number_group_memberships/${(member.body.id as string).toUpperCase()}`, { method: 'DELETE' });
    expect(removed.status, removed.text).toBe(204);
    expect((await server.api(`/api/relay/rest/number_groups/${group}/number_group_memberships`)).body.data).toEqual([]);
  });
});
