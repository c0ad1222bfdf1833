import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GROUP_MEMBERS } from '../../src/domain/number-groups.js';
import { phoneNumberId } from '../helpers/projects.js';
import { eventually, NUMBERS, PROJECT_ID, startTestServer, type TestServer } from '../helpers/server.js';
import { twilioClient } from './clients.js';

let server: TestServer;
const extra = ['+15551231001', '+15551231002', '+15551231003'];

beforeAll(async () => {
  server = await startTestServer({ numbers: [...NUMBERS, ...extra] });
});
afterAll(async () => {
  await server.stop();
});

const idOf = (number: string) => phoneNumberId(server, number);

describe('the native number groups API', () => {
  it('creates, reads, lists, updates and deletes groups and memberships', async () => {
    const created = await server.api('/api/relay/rest/number_groups', { body: { name: 'Support line' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'Support line', sticky_sender: false, phone_number_count: 0 });
    const id = created.body.id;

    const member = await server.api(`/api/relay/rest/number_groups/${id}/number_group_memberships`, { body: { phone_number_id: await idOf(extra[0]!) } });
    expect(member.status).toBe(200);
    expect(member.body).toMatchObject({ number_group_id: id, phone_number: { number: extra[0], capabilities: ['voice', 'sms', 'mms'] } });
    expect((await server.api(`/api/relay/rest/number_group_memberships/${member.body.id}`)).body.id).toBe(member.body.id);
    expect((await server.api(`/api/relay/rest/number_groups/${id}`)).body.phone_number_count).toBe(1);

    const updated = await server.api(`/api/relay/rest/number_groups/${id}`, { method: 'PUT', body: { name: 'Support', sticky_sender: true } });
    expect(updated.body).toMatchObject({ name: 'Support', sticky_sender: true, phone_number_count: 1 });

    const members = await server.api(`/api/relay/rest/number_groups/${id}/number_group_memberships`);
    expect(members.body.data.map((m: any) => m.phone_number.number)).toEqual([extra[0]]);
    expect(members.body.links.self).toMatch(/number_group_memberships/);

    const listed = await server.api('/api/relay/rest/number_groups?filter_name=supp');
    expect(listed.body.data.map((g: any) => g.id)).toContain(id);

    expect((await server.api(`/api/relay/rest/number_group_memberships/${member.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/api/relay/rest/number_groups/${id}`)).body.phone_number_count).toBe(0);
    expect((await server.api(`/api/relay/rest/number_groups/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/api/relay/rest/number_groups/${id}`)).status).toBe(404);
  });

  it('refuses a known field spelt otherwise (422 invalid_parameter, nothing created) and ignores other extras, as the native send does', async () => {
    const before = (await server.api('/api/relay/rest/number_groups?page_size=1000')).body.data.length;
    for (const [field, meant] of [['stickySender', 'sticky_sender'], ['StickySender', 'sticky_sender'], ['Name', 'name'], ['FriendlyName', 'name']] as const) {
      const refused = await server.api('/api/relay/rest/number_groups', { body: { name: 'misnamed', [field]: true } });
      expect(refused.status, field).toBe(422);
      expect(refused.body).toEqual({ errors: [{ detail: `Unknown field '${field}': did you mean '${meant}'? A number group takes name, sticky_sender.`, status: '422', title: 'Invalid Attribute', code: 'invalid_parameter' }] });
    }
    expect((await server.api('/api/relay/rest/number_groups?page_size=1000')).body.data.length).toBe(before);
    // Other extras pass, so a group read and written back whole (its read-only fields too) is taken.
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'extras', sticky_sender: true, region: 'us' } });
    expect(group.status).toBe(200);
    const put = await server.api(`/api/relay/rest/number_groups/${group.body.id}`, { method: 'PUT', body: { ...group.body, name: 'extras 2' } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ name: 'extras 2', sticky_sender: true });
    const misnamedPut = await server.api(`/api/relay/rest/number_groups/${group.body.id}`, { method: 'PUT', body: { name: 'extras 3', stickySender: false } });
    expect(misnamedPut.status).toBe(422);
    expect(misnamedPut.body.errors[0]).toMatchObject({ code: 'invalid_parameter' });
    expect((await server.api(`/api/relay/rest/number_groups/${group.body.id}`)).body).toMatchObject({ name: 'extras 2', sticky_sender: true });
  });

  it('answers bad input in the relay-rest error shape', async () => {
    const blank = await server.api('/api/relay/rest/number_groups', { body: { sticky_sender: true } });
    expect(blank.status).toBe(422);
    expect(blank.body).toEqual({ errors: [{ detail: "Name can't be blank", status: '422', title: 'Invalid Attribute', code: 'invalid_attribute' }] });
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'dupes' } });
    const unknown = await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: 'nope' } });
    expect(unknown.status).toBe(422);
    const numberId = await idOf(extra[1]!);
    await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: numberId } });
    const twice = await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: numberId } });
    expect(twice.body.errors[0].code).toBe('number_already_in_group');
    expect((await server.api('/api/relay/rest/number_groups/3f1c2b7a-0000-4000-8000-000000000009')).status).toBe(404);
    const badJson = await server.api('/api/relay/rest/number_groups', { body: '{', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
  });
});

describe('the most members a group may have', () => {
  // Twilio's sender pool limit (error 21714): a send through a group reads its members, so a
  // group of thousands made every send of that project cost the node tens of milliseconds.
  it(`refuses member ${MAX_GROUP_MEMBERS + 1} with number_group_full (21714), and takes one again once a member left`, async () => {
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'pool' } });
    const ids: string[] = [];
    const numbers = Array.from({ length: MAX_GROUP_MEMBERS + 1 }, (_, i) => `+1555732${String(i).padStart(4, '0')}`);
    await inParallel(numbers, 8, async (number) => {
      const registered = await server.api('/api/relay/rest/phone_numbers', { body: { number } });
      expect(registered.status, registered.text).toBe(200);
      ids.push(registered.body.id);
    });
    const path = `/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`;
    const memberships: string[] = [];
    await inParallel(ids.slice(0, MAX_GROUP_MEMBERS), 8, async (id) => {
      const added = await server.api(path, { body: { phone_number_id: id } });
      expect(added.status, added.text).toBe(200);
      memberships.push(added.body.id);
    });
    const full = await server.api(path, { body: { phone_number_id: ids[MAX_GROUP_MEMBERS] } });
    expect(full.status).toBe(422);
    expect(full.body.errors[0]).toMatchObject({ code: 'number_group_full', status: '422' });
    expect(full.body.errors[0].detail).toMatch(/400 members/);
    expect((await server.api(`/api/relay/rest/number_groups/${group.body.id}`)).body.phone_number_count).toBe(MAX_GROUP_MEMBERS);

    expect((await server.api(`/api/relay/rest/number_group_memberships/${memberships[0]}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(path, { body: { phone_number_id: ids[MAX_GROUP_MEMBERS] } })).status).toBe(200);
  }, 60_000);
});

/** Run `work` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

describe('sending through a number group (MessagingServiceSid)', () => {
  it('picks a capable member and keeps it per destination when the group is sticky', async () => {
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'sticky', sticky_sender: true } });
    for (const n of extra) await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: await idOf(n) } });
    const client = twilioClient(server.url);
    const senders = new Map<string, Set<string>>();
    for (let d = 0; d < 6; d++) {
      const to = `+1555769${String(d).padStart(4, '0')}`;
      for (let i = 0; i < 3; i++) {
        const m = await client.messages.create({ to, messagingServiceSid: group.body.id, body: `sticky ${i}` });
        expect(m.messagingServiceSid).toBe(group.body.id);
        expect(extra).toContain(m.from);
        senders.set(to, (senders.get(to) ?? new Set()).add(m.from));
      }
    }
    for (const set of senders.values()) expect(set.size).toBe(1);

    // The sender keeps working after its first choice leaves the group: a new one is chosen and kept.
    const to = '+15557690000';
    const first = senders.get(to)!.values().next().value as string;
    const members = await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`);
    const membership = members.body.data.find((m: any) => m.phone_number.number === first);
    await server.api(`/api/relay/rest/number_group_memberships/${membership.id}`, { method: 'DELETE' });
    const next = await client.messages.create({ to, messagingServiceSid: group.body.id, body: 'after removal' });
    expect(next.from).not.toBe(first);
    expect((await client.messages.create({ to, messagingServiceSid: group.body.id, body: 'again' })).from).toBe(next.from);

    // The message went out from the chosen number, and its group shows in the native log too.
    const delivered = await eventually(async () => {
      const r = await server.api(`/api/messaging/logs/${next.sid}`);
      return r.body.status === 'delivered' ? r.body : undefined;
    });
    expect(delivered.from).toBe(next.from);
  });

  it("sends to one of the group's own numbers from another member (not refused with 21266 by the choice)", async () => {
    const client = twilioClient(server.url);
    for (const sticky of [false, true]) {
      const group = await server.api('/api/relay/rest/number_groups', { body: { name: `self ${sticky}`, sticky_sender: sticky } });
      for (const n of extra) await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: await idOf(n) } });
      for (const to of extra) {
        for (let i = 0; i < 4; i++) {
          const m = await client.messages.create({ to, messagingServiceSid: group.body.id, body: `to a member ${i}` });
          expect(extra.filter((n) => n !== to)).toContain(m.from);
        }
      }
    }
    // A group whose one member is the destination has no other sender: 21266, and nothing stored.
    const alone = await server.api('/api/relay/rest/number_groups', { body: { name: 'alone', sticky_sender: true } });
    await server.api(`/api/relay/rest/number_groups/${alone.body.id}/number_group_memberships`, { body: { phone_number_id: await idOf(extra[0]!) } });
    const before = (await server.store.messages.list(PROJECT_ID, { to: extra[0]!, from: extra[0]! }, { limit: 10 })).length;
    await expect(client.messages.create({ to: extra[0]!, messagingServiceSid: alone.body.id, body: 'me' })).rejects.toMatchObject({ status: 400, code: 21266 });
    expect((await server.store.messages.list(PROJECT_ID, { to: extra[0]!, from: extra[0]! }, { limit: 10 })).length).toBe(before);
  });

  it('skips members that cannot send the kind of message', async () => {
    const smsOnly = await server.api('/api/relay/rest/phone_numbers', { body: { number: '+15551231009', capabilities: ['sms'] } });
    const group = await server.api('/api/relay/rest/number_groups', { body: { name: 'mixed' } });
    await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: smsOnly.body.id } });
    await server.api(`/api/relay/rest/number_groups/${group.body.id}/number_group_memberships`, { body: { phone_number_id: await idOf(NUMBERS[0]!) } });
    const client = twilioClient(server.url);
    for (let i = 0; i < 4; i++) {
      const mms = await client.messages.create({ to: '+15557691111', messagingServiceSid: group.body.id, mediaUrl: ['https://cdn.example.com/m.jpg'] });
      expect(mms.from).toBe(NUMBERS[0]);
    }
    const stored = await server.store.messages.list(PROJECT_ID, { to: '+15557691111' }, { limit: 10 });
    expect(stored.every((m) => m.numberGroupId === group.body.id)).toBe(true);
  });
});
