/**
 * After a crash every project with RELAY sessions adopted again reads the last minutes of the
 * stored events (relay/catch-up.ts): each read walks every project's event ids down to its window's
 * start, so 100 projects once cost 100 walks through the same ids. Reads running at the same time
 * now share the walk (store/repositories/event-walk.ts): one statement per part serves them all,
 * and each gets exactly what its own read gets, including a read asked while the walk is under way
 * (it joins below, and the ids above where it joined are read for it after). (That each statement
 * stays a search by key: sqlite/postgres.catch-up-reads.test.ts.)
 */
import { sql, type CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewMessageEvent, MessageRecord } from '../../src/domain/message.js';
import type { MessageEventWithMessage, RecentEventsBounds } from '../../src/domain/ports/store.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { messageRow } from '../helpers/records.js';
import { storeBackends } from '../helpers/postgres.js';

const T0 = Date.UTC(2026, 0, 1);
const PROJECTS = Array.from({ length: 9 }, (_, i) => `${String(i + 1).repeat(8)}-0000-4000-8000-000000000000`);
/** Events stored, one a millisecond, round the projects' messages in turn. */
const EVENTS = 3_000;
const SCAN = 100;

interface Ask {
  readonly projectId: string;
  readonly since: number;
  readonly limit: number;
}

const bounds = (a: Ask): RecentEventsBounds => ({ since: a.since, limit: a.limit, scanRows: SCAN, scanSince: a.since, maxScanRows: 1_000_000 });
const read = (store: KyselyStore, a: Ask) => store.events.listRecentForContexts(a.projectId, ['office', 'default'], ['signalwire_x'], bounds(a));
const seen = (rows: readonly MessageEventWithMessage[]) => rows.map((r) => `${r.event.messageId}:${r.event.status}:${r.event.at - T0}`);

/** Counts the statements run meanwhile; `onPart` is told of each part's statement as it starts. */
async function counting<T>(store: KyselyStore, work: () => Promise<T>, onPart: (n: number) => void = () => {}): Promise<{ value: T; statements: number; parts: number }> {
  const executor = store.db.getExecutor();
  const original = executor.executeQuery.bind(executor);
  let statements = 0;
  let parts = 0;
  executor.executeQuery = ((query: CompiledQuery, id: unknown) => {
    statements += 1;
    if (/join/i.test(query.sql)) onPart((parts += 1));
    return (original as (q: CompiledQuery, i: unknown) => Promise<unknown>)(query, id);
  }) as typeof executor.executeQuery;
  try {
    return { value: await work(), statements, parts };
  } finally {
    executor.executeQuery = original;
  }
}

describe.each(storeBackends(afterAll))('catch-up reads of many projects at once on %s', (_name, open) => {
  it('share one walk, each project getting exactly its own events, one joining mid-walk too', async () => {
    const { store, close } = await open();
    try {
      for (const id of PROJECTS) await store.projects.create({ id, name: id.slice(0, 4), signingKey: `PSK_${id.slice(0, 4)}`, createdAt: T0 });
      // Each project: a message in its session's context, one without a context, one its session sent elsewhere, one of a context it does not follow.
      const messages: MessageRecord[] = await store.messages.insertMany(
        PROJECTS.flatMap((p) => [messageRow(p, { context: 'office' }), messageRow(p, { context: null }), messageRow(p, { context: 'elsewhere', relaySender: 'signalwire_x' }), messageRow(p, { context: 'elsewhere' })]),
      );
      const statuses = ['queued', 'sent', 'delivered'] as const;
      const events: NewMessageEvent[] = Array.from({ length: EVENTS }, (_, i) => {
        const m = messages[(i * 7) % messages.length]!;
        return { messageId: m.id, projectId: m.projectId, status: statuses[i % 3]!, at: T0 + i, errorCode: null, errorMessage: null, detail: null };
      });
      // One stored out of time order, long after its time: within the late reads' windows, just below where they join, and below where the shorter one's walk ends.
      const stray = messages.find((m) => m.projectId === PROJECTS[8] && m.context === 'office')!;
      events[2_450] = { ...events[2_450]!, messageId: stray.id, projectId: stray.projectId, at: T0 + 2_950 };
      await store.events.insertMany(events);
      const followed = new Set(messages.filter((m) => m.context !== 'elsewhere' || m.relaySender === 'signalwire_x').map((m) => m.id));
      /** What a read gets: its project's events of messages it follows, in its window, the newest within its limit; from the `from`th stored (where its walk ends). */
      const expected = (a: Ask, from = 0) =>
        events
          .slice(from)
          .filter((e) => e.projectId === a.projectId && followed.has(e.messageId) && e.at >= a.since)
          .slice(-a.limit)
          .map((e) => `${e.messageId}:${e.status}:${e.at - T0}`);

      // Eight projects, windows of different lengths; one of them with a limit it reaches.
      const asks: Ask[] = PROJECTS.slice(0, 8).map((projectId, i) => ({ projectId, since: T0 + 1_000 + 100 * i, limit: i === 3 ? 5 : 10_000 }));
      const alone: number[] = [];
      for (const a of asks) {
        const { value, statements } = await counting(store, () => read(store, a));
        expect(seen(value)).toEqual(expected(a));
        alone.push(statements);
      }
      // The longest window walks 2,000 ids: the top, 20 parts, a look below each.
      expect(Math.max(...alone)).toBe(1 + 20 + 20);
      const together = await counting(store, () => Promise.all(asks.map((a) => read(store, a))));
      asks.forEach((a, i) => expect(seen(together.value[i]!)).toEqual(expected(a)));
      expect(together.statements).toBe(Math.max(...alone));
      expect(alone.reduce((x, y) => x + y)).toBeGreaterThan(5 * together.statements);

      // A project asks while the walk is under way (its window reaching below where it joins), and
      // another whose window starts above where it joins: both get what their own reads get.
      const late: Ask = { projectId: PROJECTS[8]!, since: T0 + 500, limit: 10_000 };
      const lateShort: Ask = { projectId: PROJECTS[8]!, since: T0 + 2_550, limit: 10_000 };
      let lateRead: Promise<MessageEventWithMessage[][]> | undefined;
      const joined = await counting(
        store,
        async () => {
          const rows = await Promise.all(asks.map((a) => read(store, a)));
          return { rows, late: await lateRead! };
        },
        (n) => {
          // As the walk's fifth part (ids 2,500 to 2,600) is read.
          if (n === 5) lateRead = Promise.all([read(store, late), read(store, lateShort)]);
        },
      );
      asks.forEach((a, i) => expect(seen(joined.value.rows[i]!)).toEqual(expected(a)));
      expect(seen(joined.value.late[0]!)).toEqual(expected(late));
      // (The shorter window's walk ends at id 2,500, where the reads joined: the event stored out of order is not its.)
      expect(seen(joined.value.late[1]!)).toEqual(expected(lateShort, 2_500));
      expect(seen(await read(store, lateShort))).toEqual(expected(lateShort, 2_500));
      expect(expected(lateShort)).toContain(`${stray.id}:${events[2_450]!.status}:2950`);
      expect(expected(late).length).toBeGreaterThan(200);
      expect(seen(await read(store, late))).toEqual(expected(late));
      // The walk goes on to the late window's start (25 parts), then the five parts above where the reads joined are read again for them.
      expect(joined.parts).toBe(25 + 5);
    } finally {
      await close();
    }
  }, 120_000);

  it('gives every read what its own read gives, whatever its window, limit, budget and names, asked together or mid-walk', async () => {
    const { store, close } = await open();
    try {
      for (const id of PROJECTS) await store.projects.create({ id, name: id.slice(0, 4), signingKey: `PSK_${id.slice(0, 4)}`, createdAt: T0 });
      const contextsOf = ['office', 'front', null] as const;
      const messages: MessageRecord[] = await store.messages.insertMany(PROJECTS.flatMap((p) => [...contextsOf.map((context) => messageRow(p, { context })), messageRow(p, { context: 'elsewhere', relaySender: 'signalwire_x' })]));
      // A fixed sequence of pseudo-random numbers (a linear congruential generator): the same reads each run.
      let seed = 42;
      const next = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), Math.floor((seed / 2 ** 31) * n));
      // Some events stored out of time order, up to 300 ms late.
      const events: NewMessageEvent[] = Array.from({ length: EVENTS }, (_, i) => {
        const m = messages[next(messages.length)]!;
        return { messageId: m.id, projectId: m.projectId, status: 'sent' as const, at: T0 + i - (next(10) === 0 ? next(300) : 0), errorCode: null, errorMessage: null, detail: null };
      });
      await store.events.insertMany(events);
      const names = [['office'], ['front', 'default'], ['office', 'front'], []] as const;
      const asks = Array.from({ length: 40 }, () => {
        const since = T0 + next(3_000);
        const bounds: RecentEventsBounds = { since, limit: [1, 7, 60, 10_000][next(4)]!, scanRows: SCAN, scanSince: since - next(200), maxScanRows: [150, 650, 1_000_000][next(3)]! };
        return { projectId: PROJECTS[next(PROJECTS.length)]!, contexts: names[next(names.length)]!, senders: next(2) ? ['signalwire_x'] : [], bounds, atPart: next(3) === 0 ? 0 : 1 + next(20) };
      });
      // One read asked first walks the whole history: the others asked mid-walk join it.
      asks.unshift({ projectId: PROJECTS[0]!, contexts: ['office'], senders: [], bounds: { since: T0, limit: 10_000, scanRows: SCAN, scanSince: T0, maxScanRows: 1_000_000 }, atPart: 0 });
      const ask = (a: (typeof asks)[number]) => store.events.listRecentForContexts(a.projectId, a.contexts, a.senders, a.bounds);
      const alone: string[][] = [];
      for (const a of asks) alone.push(seen(await ask(a)));
      expect(alone.filter((rows) => rows.length > 0).length).toBeGreaterThan(20);
      // A third asked together, the others as the walk reaches one of its parts.
      const pending: Array<Promise<MessageEventWithMessage[]>> = [];
      const shared = await counting(
        store,
        async () => {
          asks.forEach((a, i) => a.atPart === 0 && (pending[i] = ask(a)));
          for (let asked = 0; asked < pending.filter(Boolean).length; ) {
            asked = pending.filter(Boolean).length;
            await Promise.all(pending.filter(Boolean));
          }
          // Those whose part no walk reached, asked after.
          asks.forEach((a, i) => (pending[i] ??= ask(a)));
          return Promise.all(pending);
        },
        (n) => asks.forEach((a, i) => a.atPart === n && (pending[i] ??= ask(a))),
      );
      asks.forEach((a, i) => expect(seen(shared.value[i]!), JSON.stringify({ ...a, i })).toEqual(alone[i]));
      expect(asks.filter((a) => a.atPart > 0).length).toBeGreaterThan(20);
      expect(shared.statements).toBeLessThan(alone.length * 10);
    } finally {
      await close();
    }
  }, 120_000);

  it("gives no read another project's rows in a shared statement, even of the contexts or senders it names", async () => {
    const { store, close } = await open();
    try {
      const [a, b] = PROJECTS;
      for (const id of [a!, b!]) await store.projects.create({ id, name: id.slice(0, 4), signingKey: `PSK_${id.slice(0, 4)}`, createdAt: T0 });
      // A's session follows 'office' and its protocol (as context and as sender); B's messages use the same names.
      const protocolA = 'signalwire_a';
      const [aOffice, aSent, bOffice, ...bOthers] = await store.messages.insertMany([
        messageRow(a!, { context: 'office' }),
        messageRow(a!, { context: 'elsewhere', relaySender: protocolA }),
        messageRow(b!, { context: 'office' }),
        messageRow(b!, { context: protocolA }),
        messageRow(b!, { context: 'elsewhere', relaySender: protocolA }),
        messageRow(b!, { context: null }),
      ]);
      const all = [aOffice!, aSent!, bOffice!, ...bOthers];
      await store.events.insertMany(all.map((m, i): NewMessageEvent => ({ messageId: m.id, projectId: m.projectId, status: 'sent', at: T0 + i, errorCode: null, errorMessage: null, detail: null })));
      const ofA = () => store.events.listRecentForContexts(a!, ['office', protocolA], [protocolA], bounds({ projectId: a!, since: T0, limit: 100 }));
      const ofB = () => store.events.listRecentForContexts(b!, ['office'], ['signalwire_b'], bounds({ projectId: b!, since: T0, limit: 100 }));
      const alone = await counting(store, ofA);
      const together = await counting(store, () => Promise.all([ofA(), ofB()]));
      // One walk served both: as many statements as one read alone.
      expect(together.statements).toBe(alone.statements);
      const ids = (rows: readonly MessageEventWithMessage[]) => rows.map((r) => r.message.id);
      expect(ids(together.value[0])).toEqual([aOffice!.id, aSent!.id]);
      expect(ids(together.value[1])).toEqual([bOffice!.id]);
      expect(ids(alone.value)).toEqual([aOffice!.id, aSent!.id]);
    } finally {
      await close();
    }
  });

  it("goes on below a shared statement's last row for the reads it left short of their limit", async () => {
    const { store, close } = await open();
    try {
      const [a, b] = PROJECTS;
      for (const id of [a!, b!]) await store.projects.create({ id, name: id.slice(0, 4), signingKey: `PSK_${id.slice(0, 4)}`, createdAt: T0 });
      const [ma, mb] = await store.messages.insertMany([messageRow(a!, { context: 'office' }), messageRow(b!, { context: 'office' })]);
      const ev = (m: MessageRecord, at: number): NewMessageEvent => ({ messageId: m.id, projectId: m.projectId, status: 'sent', at, errorCode: null, errorMessage: null, detail: null });
      // B's one event, then 50 of A's, all in one part: a statement for both, of at most 1 + 1 rows, is filled by A's.
      await store.events.insertMany([ev(mb!, T0), ...Array.from({ length: 50 }, (_, i) => ev(ma!, T0 + 1 + i))]);
      const one: Ask = { projectId: a!, since: T0, limit: 1 };
      const [ofA, ofB] = await Promise.all([read(store, one), read(store, { ...one, projectId: b! })]);
      expect(seen(ofA)).toEqual([`${ma!.id}:sent:50`]);
      expect(seen(ofB)).toEqual([`${mb!.id}:sent:0`]);
    } finally {
      await close();
    }
  });

  it("fails only the reads of a project whose rows the database cannot read, not the others' sharing its statements", async () => {
    const { store, close } = await open();
    try {
      const [a, b, c] = PROJECTS;
      for (const id of [a!, b!, c!]) await store.projects.create({ id, name: id.slice(0, 4), signingKey: `PSK_${id.slice(0, 4)}`, createdAt: T0 });
      const messages = await store.messages.insertMany([a!, b!, c!].map((p) => messageRow(p, { context: 'office' })));
      await store.events.insertMany(
        Array.from({ length: 300 }, (_, i): NewMessageEvent => {
          const m = messages[i % 3]!;
          return { messageId: m.id, projectId: m.projectId, status: 'sent', at: T0 + i, errorCode: null, errorMessage: null, detail: null };
        }),
      );
      // A fault in the database: B's messages come out of a view that fails on reading their text
      // (malformed JSON), as a damaged page of one project's rows would; the other projects' rows read as before.
      const sqlite = _name === 'SQLite';
      const columns = sqlite
        ? (await sql<{ name: string }>`select name from pragma_table_info('messages')`.execute(store.db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select column_name as name from information_schema.columns where table_name = 'messages' and table_schema = current_schema()`.execute(store.db)).rows.map((r) => r.name);
      const broken = sqlite ? `json('{' || body)` : `('{' || body)::json::text`;
      const select = columns.map((col) => (col === 'body' ? `case when project_id = '${b!}' then ${broken} else body end as body` : `"${col}"`)).join(', ');
      await sql.raw('alter table messages rename to messages_stored').execute(store.db);
      await sql.raw(`create view messages as select ${select} from messages_stored`).execute(store.db);

      const ask = (projectId: string) => read(store, { projectId, since: T0, limit: 1_000 }).then(seen, (err: Error) => err);
      // Asked together: one walk, its statements shared by the three projects.
      const [ofA, ofB, ofC] = await Promise.all([a!, b!, c!].map(ask));
      // B's read fails with the database's own error; A's and C's get all their rows, as alone.
      expect(String(ofB)).toMatch(/json/i);
      expect(ofA).toHaveLength(100);
      expect(ofC).toHaveLength(100);
      expect(ofA).toEqual((await ask(a!)) as string[]);
    } finally {
      await close();
    }
  });
});
