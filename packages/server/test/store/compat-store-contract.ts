/**
 * Store contract of the Compatibility API's repositories (number groups, sticky senders, cXML
 * applications, message media), through the port only, so it runs unchanged against every adapter.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreUnderTest } from './store-contract.js';
import type { PhoneNumberRecord } from '../../src/domain/project.js';
import type { NumberGroupRecord } from '../../src/domain/number-groups.js';
import type { CxmlApplicationRecord } from '../../src/domain/cxml-applications.js';
import type { MessageMediaRecord } from '../../src/domain/media.js';
import { phoneNumberRow } from '../helpers/records.js';

const T0 = Date.UTC(2026, 0, 1);
const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';

function phone(projectId: string, number: string, capabilities: PhoneNumberRecord['capabilities'] = ['sms', 'mms']): PhoneNumberRecord {
  return phoneNumberRow(projectId, number, { capabilities, createdAt: T0, updatedAt: T0 });
}

function group(projectId: string, name = 'group', stickySender = true): NumberGroupRecord {
  return { id: randomUUID(), projectId, name, stickySender, createdAt: T0, updatedAt: T0 };
}

function membership(projectId: string, groupId: string, phoneNumberId: string, at = T0) {
  return { id: randomUUID(), projectId, groupId, phoneNumberId, createdAt: at, updatedAt: at };
}

function application(projectId: string, friendlyName: string): CxmlApplicationRecord {
  return { id: randomUUID(), projectId, friendlyName, smsUrl: 'https://app.example/sms', smsMethod: 'POST', smsFallbackUrl: null, smsFallbackMethod: 'POST', smsStatusCallback: null, createdAt: T0, updatedAt: T0 };
}

export function describeCompatStoreContract(dialectName: string, openStore: () => Promise<StoreUnderTest>): void {
  describe(`compat store contract (${dialectName})`, () => {
    let sut: StoreUnderTest;
    beforeEach(async () => {
      sut = await openStore();
      for (const id of [P1, P2]) await sut.store.projects.create({ id, name: id, signingKey: 'PSK_x', createdAt: T0 });
    });
    afterEach(async () => {
      await sut.close();
    });

    it('keeps groups per project, with member counts, paging and name filters', async () => {
      const { numberGroups } = sut.store;
      const a = group(P1, 'Support line');
      const b = group(P1, 'Sales', false);
      const other = group(P2, 'Support elsewhere');
      for (const g of [a, b, other]) await numberGroups.create(g);
      expect(await numberGroups.get(P1, a.id)).toEqual(a);
      expect(await numberGroups.get(P2, a.id)).toBeUndefined();
      expect((await numberGroups.list(P1, {}, { limit: 10 })).map((g) => g.id)).toEqual([b.id, a.id]);
      expect((await numberGroups.list(P1, { nameContains: 'SUPP' }, { limit: 10 })).map((g) => g.id)).toEqual([a.id]);
      const seqA = (await numberGroups.seqOf(P1, a.id))!;
      expect((await numberGroups.list(P1, {}, { limit: 10, afterSeq: seqA })).map((g) => g.id)).toEqual([b.id]);
      expect(await numberGroups.update(P1, a.id, { name: 'Renamed', stickySender: false }, T0 + 5)).toMatchObject({ name: 'Renamed', stickySender: false, updatedAt: T0 + 5 });
      expect(await numberGroups.update(P2, a.id, { name: 'x' }, T0)).toBeUndefined();
      expect(await numberGroups.delete(P2, a.id)).toBe(false);
      expect(await numberGroups.delete(P1, a.id)).toBe(true);
      expect(await numberGroups.get(P1, a.id)).toBeUndefined();
    });

    it('joins members to their numbers, refuses duplicates, and drops memberships with their number or group', async () => {
      const { numberGroups, numbers } = sut.store;
      const n1 = phone(P1, '+15550000001');
      const n2 = phone(P1, '+15550000002', ['sms']);
      for (const n of [n1, n2]) await numbers.create(n);
      const g = group(P1);
      await numberGroups.create(g);
      const m1 = membership(P1, g.id, n1.id, T0);
      const m2 = membership(P1, g.id, n2.id, T0 + 1);
      expect(await numberGroups.addMember(m1, 10)).toBe('added');
      expect(await numberGroups.addMember(m2, 10)).toBe('added');
      let dup: unknown;
      try {
        await numberGroups.addMember(membership(P1, g.id, n1.id), 10);
      } catch (err) {
        dup = err;
      }
      expect(sut.isUniqueViolation(dup)).toBe(true);
      expect((await numberGroups.allMembers(P1, g.id)).map((m) => [m.membership.id, m.number.number, m.number.capabilities])).toEqual([
        [m1.id, '+15550000001', ['sms', 'mms']],
        [m2.id, '+15550000002', ['sms']],
      ]);
      expect((await numberGroups.listMembers(P1, g.id, { limit: 1 })).map((m) => m.membership.id)).toEqual([m2.id]);
      expect(await numberGroups.getMembership(P1, m1.id)).toMatchObject({ membership: m1, number: { id: n1.id } });
      expect(await numberGroups.getMembership(P2, m1.id)).toBeUndefined();
      expect((await numberGroups.countMembers(P1, [g.id])).get(g.id)).toBe(2);

      await numbers.delete(P1, n2.id);
      expect((await numberGroups.allMembers(P1, g.id)).map((m) => m.membership.id)).toEqual([m1.id]);
      expect(await numberGroups.removeMember(P2, m1.id)).toBe(false);
      expect(await numberGroups.removeMember(P1, m1.id)).toBe(true);
      expect((await numberGroups.countMembers(P1, [g.id])).get(g.id)).toBeUndefined();
    });

    it('adds no member past the most a group may have, also when adds race', async () => {
      const { numberGroups, numbers } = sut.store;
      const g = group(P1);
      await numberGroups.create(g);
      const phones = Array.from({ length: 6 }, (_, i) => phone(P1, `+1555000010${i}`));
      for (const n of phones) await numbers.create(n);
      const added = await Promise.all(phones.map((n, i) => sut.store.transaction((tx) => tx.numberGroups.addMember(membership(P1, g.id, n.id, T0 + i), 3))));
      expect(added.filter((a) => a === 'added')).toHaveLength(3);
      expect(added.filter((a) => a === 'full')).toHaveLength(3);
      expect((await numberGroups.countMembers(P1, [g.id])).get(g.id)).toBe(3);
    });

    // A group or number deleted after the engine looked it up (a DELETE racing the add): the add
    // says so instead of failing on the foreign key (PostgreSQL answered the request 500).
    it('adds no member to a group or of a number deleted meanwhile, and says so', async () => {
      const { numberGroups, numbers } = sut.store;
      const n = phone(P1, '+15550000201');
      await numbers.create(n);
      const g = group(P1);
      await numberGroups.create(g);
      const gone = group(P1);
      await numberGroups.create(gone);
      await numberGroups.delete(P1, gone.id);
      expect(await sut.store.transaction((tx) => tx.numberGroups.addMember(membership(P1, gone.id, n.id), 10))).toBe('gone');
      const released = phone(P1, '+15550000202');
      await numbers.create(released);
      await numbers.delete(P1, released.id);
      expect(await sut.store.transaction((tx) => tx.numberGroups.addMember(membership(P1, g.id, released.id), 10))).toBe('gone');
      // Another project's group or number is as good as gone.
      expect(await sut.store.transaction((tx) => tx.numberGroups.addMember(membership(P2, g.id, n.id), 10))).toBe('gone');
      expect(await numberGroups.countMembers(P1, [g.id, gone.id])).toEqual(new Map());
    });

    it('remembers one sticky sender per group and destination, replaceable, gone with the group', async () => {
      const { numberGroups } = sut.store;
      const g = group(P1);
      await numberGroups.create(g);
      expect(await numberGroups.stickyNumber(P1, g.id, '+15559990000')).toBeUndefined();
      await numberGroups.setStickyNumber(P1, g.id, '+15559990000', 'number-a', T0);
      await numberGroups.setStickyNumber(P1, g.id, '+15559990001', 'number-b', T0);
      expect(await numberGroups.stickyNumber(P1, g.id, '+15559990000')).toBe('number-a');
      expect(await numberGroups.stickyNumber(P2, g.id, '+15559990000')).toBeUndefined();
      await numberGroups.setStickyNumber(P1, g.id, '+15559990000', 'number-c', T0 + 1);
      expect(await numberGroups.stickyNumber(P1, g.id, '+15559990000')).toBe('number-c');
      await numberGroups.delete(P1, g.id);
      expect(await numberGroups.stickyNumber(P1, g.id, '+15559990001')).toBeUndefined();
    });

    it('stores cXML applications per project with partial updates', async () => {
      const { applications } = sut.store;
      const a = application(P1, 'first');
      const b = application(P1, 'second');
      await applications.create(a);
      await applications.create(b);
      await applications.create(application(P2, 'first'));
      expect(await applications.get(P1, a.id)).toEqual(a);
      expect(await applications.get(P2, a.id)).toBeUndefined();
      expect((await applications.list(P1, {}, { limit: 10 })).map((x) => x.id)).toEqual([b.id, a.id]);
      expect((await applications.list(P1, { friendlyName: 'first' }, { limit: 10 })).map((x) => x.id)).toEqual([a.id]);
      const updated = await applications.update(P1, a.id, { smsStatusCallback: 'https://app.example/status', smsMethod: 'GET' }, T0 + 9);
      expect(updated).toEqual({ ...a, smsStatusCallback: 'https://app.example/status', smsMethod: 'GET', updatedAt: T0 + 9 });
      expect(await applications.update(P1, a.id, { smsUrl: null }, T0 + 10)).toMatchObject({ smsUrl: null, smsStatusCallback: 'https://app.example/status' });
      expect(await applications.delete(P2, a.id)).toBe(false);
      expect(await applications.delete(P1, a.id)).toBe(true);
      expect(await applications.get(P1, a.id)).toBeUndefined();
    });

    it('lists media of a message oldest first, pages both ways, and deletes single items', async () => {
      const { media } = sut.store;
      const messageId = randomUUID();
      const rows: MessageMediaRecord[] = Array.from({ length: 5 }, (_, i) => ({ id: randomUUID(), projectId: P1, messageId, position: i, url: `https://cdn.example/${i}.jpg`, contentType: 'image/jpeg', createdAt: T0 + i }));
      await media.insertMany(rows);
      await media.insertMany([{ ...rows[0]!, id: randomUUID(), messageId: randomUUID() }]);
      const ids = rows.map((r) => r.id);
      expect((await media.listForMessage(P1, messageId, {}, { limit: 10 })).map((m) => m.id)).toEqual(ids);
      expect(await media.listForMessage(P2, messageId, {}, { limit: 10 })).toEqual([]);
      const seq1 = (await media.seqOf(P1, messageId, ids[1]!))!;
      const seq4 = (await media.seqOf(P1, messageId, ids[4]!))!;
      expect((await media.listForMessage(P1, messageId, {}, { limit: 2, afterSeq: seq1 })).map((m) => m.id)).toEqual(ids.slice(2, 4));
      expect((await media.listForMessage(P1, messageId, {}, { limit: 2, beforeSeq: seq4 })).map((m) => m.id)).toEqual(ids.slice(2, 4));
      expect((await media.listForMessage(P1, messageId, { createdFrom: T0 + 1, createdTo: T0 + 2 }, { limit: 10 })).map((m) => m.id)).toEqual(ids.slice(1, 3));
      expect(await media.get(P1, messageId, ids[2]!)).toEqual(rows[2]);
      expect(await media.delete(P2, messageId, ids[2]!)).toBe(false);
      expect(await media.delete(P1, messageId, ids[2]!)).toBe(true);
      expect(await media.get(P1, messageId, ids[2]!)).toBeUndefined();
      expect((await media.listForMessage(P1, messageId, {}, { limit: 10 })).map((m) => m.id)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
    });
  });
}
