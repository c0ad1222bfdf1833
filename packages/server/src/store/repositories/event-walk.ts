/**
 * The walk down the stored event ids that recent-event reads (`listRecentForContexts`, RELAY
 * catch-ups) make, shared by the reads that run at the same time. After a crash every project with
 * sessions adopted again reads the last minutes of every project's events: alone, each read walks
 * them all; here, one statement per part of ids serves every read then walking (their projects,
 * contexts and senders in one filter, each read's rows picked out in memory), and each read drops out
 * where its own read would have stopped.
 *
 * Parts are aligned on multiples of `scanRows` (the top part runs from the newest id down to one),
 * so that every read, alone or shared, checks where to stop at the same ids. A read asked while a
 * pass of the walk is under way joins it at the next part (its lower segment), and the ids above
 * where it joined are read in the next pass, which starts from the newest id then (its upper
 * segment, down to where it joined): its rows are those of its own read started with that pass.
 * Where its own read would have stopped within the upper segment (its limit, its window's start,
 * its budget of ids), what the lower segment found is dropped.
 *
 * A statement shared by several projects that fails is run again for each project on its own:
 * a fault in one project's rows fails that project's reads only (with the database's error), and
 * the others walk on; a fault that passed is read through. A failure of what every read needs (the
 * newest id, the time below a part) fails the pass's reads.
 */
import type { Kysely } from 'kysely';
import type { MessageEventWithMessage, RecentEventsBounds } from '../../domain/ports/store.js';
import type { DialectTraits } from '../dialect-traits.js';
import type { Database } from '../schema.js';
import { chunkRows, eventFromRow, messageFromRow, num } from '../rows.js';

/** Project ids, context and sender names one statement of the walk binds (SQLite takes 32,766 parameters, PostgreSQL 65,535). */
export const NAMES_PER_READ = 10_000;

interface Read {
  readonly projectId: string;
  readonly contexts: ReadonlySet<string>;
  readonly senders: ReadonlySet<string>;
  readonly bounds: RecentEventsBounds;
  /** Its own read's top: the newest id when the pass serving it from the top started. */
  top: number | null;
  /** Where its lower segment starts (it joined a pass there); null when read from its top down at once. */
  joinedAt: number | null;
  readonly lower: Map<number, Row>;
  readonly upper: Map<number, Row>;
  /** Whether its own read would have gone on below `joinedAt`: set once the upper segment is read. */
  upperPassed: boolean;
  /** Why its project's statement failed (it is walked no further, and rejected at the end of the pass). */
  failure: { readonly err: unknown } | null;
  resolve(rows: MessageEventWithMessage[]): void;
  reject(err: unknown): void;
}

/** A read's segment walked in a pass: down to `stopAt`, its rows into `rows`. */
interface Segment {
  readonly read: Read;
  readonly rows: Map<number, Row>;
  readonly stopAt: number;
  /** The lowest id its own read may reach (its budget): known for segments read from its top, at most this for lower ones. */
  readonly budgetFloor: number;
  readonly upper: boolean;
}

/** A statement's filter: the segments it serves and the names it binds. */
interface Unit {
  readonly segment: Segment;
  readonly contexts: readonly string[];
  readonly senders: readonly string[];
}

type Row = Awaited<ReturnType<typeof partOf>>[number];

/** The aligned floor of the part ending at `ceiling`. */
export function partFloor(ceiling: number, scanRows: number): number {
  const size = Math.max(1, scanRows);
  return Math.max(0, ceiling % size === 0 ? ceiling - size : ceiling - (ceiling % size));
}

export class SharedEventWalk {
  /** Reads waiting for the next pass, from their top. */
  private fresh: Read[] = [];
  /** Reads that joined a pass below its top: their upper segment is read in the next pass. */
  private carried: Read[] = [];
  /** Reads asked during a pass, joining it at its next part when they can. */
  private joining: Read[] = [];
  private running = false;
  /** The pass under way: the ceiling of its next part once its top part is read (null before), and the time of the event below that ceiling. */
  private pass: { ceiling: number | null; belowAt: number | null } | null = null;

  /** @param scanRows the ids of a part: the walk serves reads of this `bounds.scanRows` */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly traits: DialectTraits,
    private readonly scanRows: number,
  ) {}

  read(projectId: string, contexts: readonly string[], senders: readonly string[], bounds: RecentEventsBounds): Promise<MessageEventWithMessage[]> {
    return new Promise((resolve, reject) => {
      const read: Read = { projectId, contexts: new Set(contexts), senders: new Set(senders), bounds, top: null, joinedAt: null, lower: new Map(), upper: new Map(), upperPassed: false, failure: null, resolve, reject };
      if (this.pass) this.joining.push(read);
      else this.fresh.push(read);
      if (!this.running) {
        this.running = true;
        // The reads asked in the same turn start together.
        setImmediate(() => void this.passes());
      }
    });
  }

  private async passes(): Promise<void> {
    while (this.fresh.length || this.carried.length || this.joining.length) {
      const fresh = [...this.fresh, ...this.joining];
      const carried = this.carried;
      this.fresh = [];
      this.joining = [];
      this.carried = [];
      try {
        await this.walk(fresh, carried);
        // Those that joined this pass below its top are carried to the next (unless their project's statement failed).
        for (const r of [...fresh, ...carried]) settle(r);
        const carriedOn = this.carried.filter((r) => !r.failure);
        for (const r of this.carried) if (r.failure) settle(r);
        this.carried = carriedOn;
      } catch (err) {
        for (const r of [...fresh, ...carried, ...this.carried]) r.reject(err);
        this.carried = [];
      }
      this.pass = null;
      if (this.fresh.length || this.carried.length || this.joining.length) await new Promise((resolve) => setImmediate(resolve));
    }
    this.running = false;
  }

  /** One pass: from the newest id down, until every segment in it ended. */
  private async walk(fresh: readonly Read[], carried: readonly Read[]): Promise<void> {
    const topRow = await this.db.selectFrom('message_events').select((eb) => eb.fn.max('id').as('top')).executeTakeFirst();
    const top = num(topRow?.top ?? 0);
    const pass = (this.pass = { ceiling: null as number | null, belowAt: null as number | null });
    let active: Segment[] = [];
    for (const r of fresh) {
      r.top = top;
      active.push({ read: r, rows: r.upper, stopAt: 0, budgetFloor: top - r.bounds.maxScanRows, upper: true });
    }
    for (const r of carried) {
      r.top = top;
      active.push({ read: r, rows: r.upper, stopAt: r.joinedAt!, budgetFloor: top - r.bounds.maxScanRows, upper: true });
    }
    // A read whose upper segment is empty goes on below at once (nothing above where it joined).
    active = active.filter((s) => {
      if (s.stopAt < top) return true;
      s.read.upperPassed = true;
      return false;
    });
    let ceiling = top;
    while (active.length) {
      if (pass.ceiling !== null) {
        // Reads asked meanwhile join here, at an aligned id their own reads also stop to look at.
        for (const r of this.joining) {
          r.joinedAt = ceiling;
          this.carried.push(r);
          if (pass.belowAt === null || pass.belowAt >= r.bounds.scanSince) active.push({ read: r, rows: r.lower, stopAt: 0, budgetFloor: top - r.bounds.maxScanRows, upper: false });
        }
        this.joining = [];
      }
      const floor = partFloor(ceiling, this.scanRows);
      await this.readPart(active, floor, ceiling);
      active = active.filter((s) => !s.read.failure);
      pass.ceiling = floor;
      pass.belowAt = null;
      const next: Segment[] = [];
      let belowAt: number | null | undefined;
      for (const s of active) {
        const { bounds } = s.read;
        if (s.rows.size >= bounds.limit || floor === 0 || floor <= s.budgetFloor) continue;
        if (belowAt === undefined) {
          const below = await this.db.selectFrom('message_events').select('at').where('id', '<=', floor).orderBy('id', 'desc').limit(1).executeTakeFirst();
          belowAt = below ? num(below.at) : null;
        }
        const goesOn = belowAt !== null && belowAt >= bounds.scanSince;
        if (s.upper && floor <= s.stopAt) s.read.upperPassed = goesOn;
        else if (goesOn) next.push(s);
      }
      pass.belowAt = belowAt ?? null;
      active = next;
      ceiling = floor;
      // One part at a time: SQLite answers nothing else while a statement runs.
      if (active.length) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Reads (`floor`, `ceiling`] for `segments`, a statement per group of names, going on below a statement's limit where one is reached. */
  private async readPart(segments: readonly Segment[], floor: number, ceiling: number): Promise<void> {
    const units: Unit[] = [];
    for (const segment of segments) {
      const { contexts, senders } = segment.read;
      if (contexts.size + senders.size + 1 <= NAMES_PER_READ) units.push({ segment, contexts: [...contexts], senders: [...senders] });
      else {
        for (const c of chunkRows([...contexts], 1, NAMES_PER_READ - 1)) units.push({ segment, contexts: c, senders: [] });
        for (const s of chunkRows([...senders], 1, NAMES_PER_READ - 1)) units.push({ segment, contexts: [], senders: s });
      }
    }
    const groups: Unit[][] = [];
    let names = Infinity;
    for (const u of units) {
      const size = u.contexts.length + u.senders.length + 1;
      if (names + size > NAMES_PER_READ) {
        groups.push([]);
        names = 0;
      }
      groups[groups.length - 1]!.push(u);
      names += size;
    }
    for (const group of groups) {
      try {
        await this.readGroup(group, floor, ceiling);
      } catch (err) {
        const projects = new Set(group.map((u) => u.segment.read.projectId));
        if (projects.size === 1) {
          failed(group, err);
          continue;
        }
        // A statement shared by several projects failed: each project's part is read again on its
        // own (a fault of one project's rows fails its reads only; a passing fault is read through).
        for (const projectId of projects) {
          const own = group.filter((u) => u.segment.read.projectId === projectId);
          await this.readGroup(own, floor, ceiling).catch((e: unknown) => failed(own, e));
        }
      }
    }
  }

  /** Reads (`floor`, `ceiling`] for the units of one group of names, going on below a statement's limit where one is reached. */
  private async readGroup(units: readonly Unit[], floor: number, ceiling: number): Promise<void> {
    let group = units;
    for (let top = ceiling; group.length && top > floor; ) {
      const limit = group.reduce((n, u) => n + u.segment.read.bounds.limit, 0);
      const rows = await partOf(this.db, this.traits, group, floor, top, limit);
      const byProject = new Map<string, Set<Segment>>();
      for (const u of group) byProject.set(u.segment.read.projectId, (byProject.get(u.segment.read.projectId) ?? new Set()).add(u.segment));
      for (const row of rows) for (const segment of byProject.get(row.e_project_id) ?? []) take(segment, row);
      if (rows.length < limit) break;
      // Full: the rows above the last one are all read; below it, for the segments short of their limit.
      top = num(rows[rows.length - 1]!.e_id) - 1;
      group = group.filter((u) => u.segment.rows.size < u.segment.read.bounds.limit);
    }
  }
}

/** The newest `limit` events in (`floor`, `ceiling`] of the units' projects, in their contexts or of their senders. */
function partOf(db: Kysely<Database>, traits: DialectTraits, units: readonly Unit[], floor: number, ceiling: number, limit: number) {
  const projects = [...new Set(units.map((u) => u.segment.read.projectId))];
  const contexts = [...new Set(units.flatMap((u) => u.contexts))];
  const senders = [...new Set(units.flatMap((u) => u.senders))];
  const since = Math.min(...units.map((u) => u.segment.read.bounds.since));
  let q = db
    .selectFrom('message_events as e')
    .innerJoin('messages as m', 'm.id', 'e.message_id')
    .selectAll('m')
    .select(['e.id as e_id', 'e.message_id as e_message_id', 'e.project_id as e_project_id', 'e.status as e_status', 'e.at as e_at', 'e.error_code as e_error_code', 'e.error_message as e_error_message', 'e.detail as e_detail'])
    .where('e.id', '>', floor)
    .where('e.id', '<=', ceiling);
  // Not through (project_id, seq): the last event ids lead, each message looked up by its id (of
  // several projects, the message's project is checked in memory: `take`).
  if (projects.length === 1) q = q.where('e.project_id', '=', projects[0]!).where(traits.keyLookupInProject(projects[0]!, 'm.project_id'));
  else q = q.where('e.project_id', 'in', projects);
  return q
    .where('e.at', '>=', since)
    .where((eb) =>
      eb.or([
        ...(contexts.length ? [eb('m.context', 'in', contexts)] : []),
        ...(contexts.includes('default') ? [eb('m.context', 'is', null)] : []),
        ...(senders.length ? [eb('m.relay_sender', 'in', senders)] : []),
      ]),
    )
    .orderBy('e.id', 'desc')
    .limit(limit)
    .execute();
}

/** The units' reads failed with `err` (the first failure of each is kept). */
function failed(units: readonly Unit[], err: unknown): void {
  for (const u of units) u.segment.read.failure ??= { err };
}

/** A read's answer at the end of its pass: its rows, or its project's statement's failure. */
function settle(read: Read): void {
  if (read.failure) read.reject(read.failure.err);
  else read.resolve(result(read));
}

/** `row` into `segment` when it is one its own read would return. */
function take(segment: Segment, row: Row): void {
  const { read } = segment;
  const id = num(row.e_id);
  if (row.e_project_id !== read.projectId || row.project_id !== read.projectId || num(row.e_at) < read.bounds.since) return;
  // (Every read walked from the top of a pass has that top as its own: nothing above it is read.)
  if (id <= segment.budgetFloor) return;
  if (!(read.contexts.has(row.context ?? 'default') || (row.relay_sender !== null && read.senders.has(row.relay_sender)))) return;
  segment.rows.set(id, row);
}

/** A read's rows, oldest first, at most its limit (the newest): its upper segment's, and its lower segment's where its own read went on below the upper. */
function result(read: Read): MessageEventWithMessage[] {
  const rows = [...read.upper.values(), ...(read.upperPassed ? read.lower.values() : [])].filter((r) => read.top === null || num(r.e_id) > read.top - read.bounds.maxScanRows);
  return rows
    .sort((x, y) => num(y.e_id) - num(x.e_id))
    .slice(0, read.bounds.limit)
    .reverse()
    .map((r) => ({
      message: messageFromRow(r),
      event: eventFromRow({ id: r.e_id, message_id: r.e_message_id, project_id: r.e_project_id, status: r.e_status, at: r.e_at, error_code: r.e_error_code, error_message: r.e_error_message, detail: r.e_detail }),
    }));
}
