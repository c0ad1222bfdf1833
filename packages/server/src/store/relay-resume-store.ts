/**
 * The RELAY resume store shared by every node (PostgreSQL mode): a client whose connection
 * dropped may come back to any node and resume. The node that parked a session keeps appending
 * the events it misses (it hears every event over the bus, like every node), deduplicated by
 * event key; a claim removes the session and its events in one transaction, on whichever node.
 *
 * As in memory, bounds drop a session whole rather than thinning it: one that misses more than
 * `maxEvents`, or whose events do not fit the claiming node's memory budget, is forgotten and
 * the client starts afresh (`session_restored: false`). A node that stops hands the sessions it
 * parked over (`clear(true)`: they stay, and the claiming node's catch-up covers what follows their
 * park), or forgets them when there is no catch-up; the node that adopts a killed one's forgets them
 * (nobody appended their events since it died). On SQLite it is the single node's hand-over store:
 * the sessions parked in memory are written here at a stop, for the next process to resume.
 * A project keeps at most `maxPerProject` sessions parked by this node (its oldest is forgotten for
 * a new one), so a client that connects and drops over and over cannot pile them up.
 *
 * A claim checks the session's token before it takes the rows (parked-rows.ts): a connect refused
 * because that check failed leaves the session, and its events, for the client's next attempt.
 *
 * No event is lost to a claim racing an append: a claim first waits for this node's appends queued
 * before it; an append locks the session's row (`for share`), so it either lands before another
 * node's claim deletes the row (and that claim takes it) or finds the session gone; and the claiming
 * node keeps what its project's events arrive while its claim runs, for the session it takes back.
 *
 * Appends go through one writer per node that coalesces what is pending into multi-row statements:
 * an event is written once per parked session it addresses, so appends in parallel piled up
 * statements (and their SQL text) without bound. Pending events count against the node's RELAY
 * memory budget like parked events in memory, and a session whose event does not fit is dropped
 * (`overflow`) as in memory. Locks are always taken in one order, so writers never deadlock
 * (40P01): a session's row before its events, and several sessions' rows sorted by protocol.
 * Shutdown waits for the writes in flight and discards what is still pending.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ParkedRelaySession, ParkedSessionEnd, RelayEventDelivery, RelayResumeStore, TokenCheck } from '../domain/ports/relay-resume.js';
import { endRevokedSessions } from '../domain/relay-revocation.js';
import { CHECKPOINT_PREFIX, forgetCheckpointOf, parkedSessionFields, takeCheckedRows } from './parked-rows.js';
import { relievePending } from './pending-relief.js';
import { chunkRows, num } from './rows.js';
import type { Database } from './schema.js';

export interface SharedResumeStoreOptions {
  /** This process (rows name the node that appends a session's events). */
  readonly instanceId: string;
  readonly maxEvents: number;
  /** The node's RELAY memory budget: events leave it when parked and come back when claimed. */
  readonly budget: { take(projectId: string, bytes: number): boolean; give(projectId: string, bytes: number): void };
  readonly eventCost: (params: string) => number;
  readonly onDropped?: (protocol: string, why: ParkedSessionEnd) => void;
  /** Sessions of one project this node may keep parked (default: no limit). */
  readonly maxPerProject?: number;
  /** Bound parameters per statement (dialect limit). */
  readonly maxParameters: number;
  /** Whether statements lock the rows they read (PostgreSQL; SQLite has one writer and no such clause). */
  readonly rowLocks: boolean;
}

interface Mine {
  readonly projectId: string;
  readonly tokenId: string | null;
  readonly contexts: ReadonlySet<string>;
}

/** A missed event waiting to be written for one parked session; `cost` is held in the budget until then. */
interface PendingRow {
  readonly protocol: string;
  readonly projectId: string;
  readonly event_id: string;
  readonly key: string;
  readonly at: number;
  readonly params: string;
  readonly cost: number;
}

/** Appends written together; `done` settles once they are in the database (or failed). */
interface Batch {
  readonly rows: PendingRow[];
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  // Settled even when no caller waits for it (a claim waits with its own catch).
  done.catch(() => undefined);
  return { rows: [], done, resolve, reject };
}

export class SharedResumeStore implements RelayResumeStore {
  /** Sessions this node parked, whose missed events it appends. */
  private readonly mine = new Map<string, Mine>();
  /** Parks still being written: a claim or an append for the same session waits for them. */
  private readonly parking = new Map<string, Promise<void>>();
  /** Claims running here, by protocol: the project's deliveries that arrive meanwhile. */
  private readonly claiming = new Map<string, { readonly projectId: string; readonly held: RelayEventDelivery[] }>();
  /** Appends not yet taken by the writer, and the batch it is writing: a claim waits for both. */
  private pending: Batch | null = null;
  private inflight: Batch | null = null;
  /** The writer, while it runs. */
  private writing: Promise<void> | null = null;
  /** Other work on the database (claims, expiries, forgets): shutdown waits for it. */
  private readonly running = new Set<Promise<unknown>>();
  /** Sessions dropped on this node whose rows are being deleted: a claim meanwhile finds none. */
  private readonly dropping = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: SharedResumeStoreOptions,
  ) {}

  park(session: ParkedRelaySession): Promise<void> {
    if (this.closed) {
      // Stopping: nobody would append its events; the live session's budget is freed.
      let bytes = 0;
      for (const e of session.events) bytes += this.opts.eventCost(e.params);
      this.opts.budget.give(session.projectId, bytes);
      return Promise.resolve();
    }
    const crowded = this.crowdOut(session);
    // Known as parked at once, so events that arrive while the rows are written are appended after them.
    this.mine.set(session.protocol, { projectId: session.projectId, tokenId: session.tokenId, contexts: new Set(session.contexts) });
    // A crowded-out session whose rows could not be deleted is no longer appended to and expires with its window.
    const done = Promise.all(crowded.map((p) => this.forgetRows(p)))
      .catch(() => undefined)
      .then(() => this.write(session))
      .finally(() => {
        if (this.parking.get(session.protocol) === done) this.parking.delete(session.protocol);
      });
    this.parking.set(session.protocol, done);
    return done;
  }

  /** Make room for `session`: its project's oldest sessions parked here leave `mine` now (their rows go before it is written). */
  private crowdOut(session: ParkedRelaySession): string[] {
    const max = this.opts.maxPerProject ?? Infinity;
    if (max === Infinity) return [];
    const parked: string[] = [];
    for (const [protocol, s] of this.mine) if (s.projectId === session.projectId && protocol !== session.protocol) parked.push(protocol);
    const crowded = parked.slice(0, Math.max(0, parked.length - max + 1));
    for (const protocol of crowded) {
      this.mine.delete(protocol);
      this.opts.onDropped?.(protocol, 'crowded');
    }
    return crowded;
  }

  /**
   * Delete a session's rows once any write of them has finished: this node's park only (and its
   * checkpoint, if this node wrote it: relay-checkpoints.ts). A session this node still lists may
   * have been claimed on another node, and parked again there (its client dropped there too): that
   * park, and the checkpoint of a session live there, are the other node's.
   */
  private async forgetRows(protocol: string): Promise<void> {
    await this.parking.get(protocol)?.catch(() => undefined);
    await this.db.transaction().execute(async (tx) => {
      const deleted = await tx
        .deleteFrom('relay_parked_sessions')
        .where('protocol', 'in', [protocol, CHECKPOINT_PREFIX + protocol])
        .where('instance_id', '=', this.opts.instanceId)
        .returning('protocol')
        .execute();
      if (deleted.length > 0) await tx.deleteFrom('relay_parked_events').where('protocol', 'in', deleted.map((d) => d.protocol)).execute();
    });
  }

  private async write(session: ParkedRelaySession): Promise<void> {
    let bytes = 0;
    for (const e of session.events) bytes += this.opts.eventCost(e.params);
    // The events move to the database: the live session's share of the memory budget is freed.
    this.opts.budget.give(session.projectId, bytes);
    if (session.events.length > this.opts.maxEvents) {
      this.mine.delete(session.protocol);
      this.opts.onDropped?.(session.protocol, 'overflow');
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      // The session's row before its events, as everywhere (one lock order: no deadlock).
      await tx.deleteFrom('relay_parked_sessions').where('protocol', '=', session.protocol).execute();
      await tx.deleteFrom('relay_parked_events').where('protocol', '=', session.protocol).execute();
      await tx
        .insertInto('relay_parked_sessions')
        .values({
          protocol: session.protocol,
          project_id: session.projectId,
          token_id: session.tokenId,
          contexts: JSON.stringify(session.contexts),
          event_acks: session.eventAcks ? 1 : 0,
          instance_id: this.opts.instanceId,
          parked_at: session.parkedAt,
          expires_at: session.expiresAt,
        })
        .execute();
      for (const chunk of chunkRows(session.events, 5, this.opts.maxParameters)) {
        await tx
          .insertInto('relay_parked_events')
          .values(chunk.map((e) => ({ protocol: session.protocol, event_id: e.id, key: e.key, at: e.at, params: e.params })))
          .onConflict((oc) => oc.columns(['protocol', 'key']).doNothing())
          .execute();
      }
    }).catch((err: unknown) => {
      this.mine.delete(session.protocol);
      throw err;
    });
  }

  claim(projectId: string, protocol: string, now: number, isActive?: TokenCheck): Promise<ParkedRelaySession | undefined> {
    return this.track(this.take(projectId, protocol, now, isActive));
  }

  private async take(projectId: string, protocol: string, now: number, isActive?: TokenCheck): Promise<ParkedRelaySession | undefined> {
    // Dropped here a moment ago (its events overflowed the budget) and its rows still being deleted:
    // the client starts afresh, as from the in-memory store, rather than resuming without them.
    const dropping = this.dropping.get(protocol);
    if (dropping) {
      await dropping;
      return undefined;
    }
    const claim = { projectId, held: [] as RelayEventDelivery[] };
    this.claiming.set(protocol, claim);
    let taken, revoked;
    try {
      // A client that comes straight back to the node it left waits for its session to be written,
      // and for the events this node began appending before the claim.
      await this.parking.get(protocol)?.catch(() => undefined);
      // Batches are written in order: the last one queued covers every append before the claim.
      await (this.pending ?? this.inflight)?.done.catch(() => undefined);
      ({ taken, revoked } = await takeCheckedRows(this.db, projectId, protocol, isActive));
    } catch (err) {
      // Nothing taken (the token check or storage failed): still parked here, it gets what arrived meanwhile.
      this.claiming.delete(protocol);
      void this.queue(claim.held, [protocol]);
      throw err;
    } finally {
      this.claiming.delete(protocol);
    }
    this.mine.delete(protocol);
    if (!taken) return undefined;
    const { row } = taken;
    const events = withHeld(taken.events.sort((a, b) => num(a.seq) - num(b.seq)), claim.held, protocol, new Set(JSON.parse(row.contexts) as string[]));
    const why = revoked ? 'revoked' : num(row.expires_at) <= now ? 'expired' : this.overBudget(projectId, events) ? 'overflow' : null;
    if (why) {
      // Its checkpoint goes with it, whichever node wrote it: the client starts afresh on every node.
      await forgetCheckpointOf(this.db, row).catch(() => undefined);
      this.opts.onDropped?.(protocol, why);
      return undefined;
    }
    return {
      protocol,
      projectId,
      ...parkedSessionFields(row),
      parkedAt: num(row.parked_at),
      events: events.map((e) => ({ id: e.event_id, key: e.key, at: num(e.at), params: e.params })),
    };
  }

  /** Takes the budget of a claimed session's events; false (nothing taken) when they do not fit. */
  private overBudget(projectId: string, events: ReadonlyArray<{ params: string }>): boolean {
    let bytes = 0;
    for (const e of events) {
      const cost = this.opts.eventCost(e.params);
      if (!this.opts.budget.take(projectId, cost)) {
        this.opts.budget.give(projectId, bytes);
        return true;
      }
      bytes += cost;
    }
    return false;
  }

  deliver(deliveries: readonly RelayEventDelivery[]): Promise<void> {
    // A claim running here keeps its project's events; its session's rows are being taken.
    for (const c of this.claiming.values()) for (const d of deliveries) if (d.projectId === c.projectId) c.held.push(d);
    return this.queue(deliveries, this.mine.keys());
  }

  /** Queue the appends of `deliveries` to the sessions among `protocols` parked here that they address. */
  private queue(deliveries: readonly RelayEventDelivery[], protocols: Iterable<string>): Promise<void> {
    if (this.closed || this.mine.size === 0 || deliveries.length === 0) return Promise.resolve();
    const targets = [...protocols];
    let batch: Batch | null = null;
    for (const d of deliveries) {
      for (const protocol of targets) {
        const s = this.mine.get(protocol);
        if (!s || s.projectId !== d.projectId || this.claiming.has(protocol) || !addresses(d, protocol, s.contexts)) continue;
        const cost = this.opts.eventCost(d.params);
        // As in memory: a parked session whose next event does not fit the budget is dropped whole.
        if (!this.opts.budget.take(s.projectId, cost)) {
          this.drop(protocol, 'overflow');
          continue;
        }
        batch = this.pending ??= newBatch();
        batch.rows.push({ protocol, projectId: s.projectId, event_id: randomUUID(), key: d.key, at: d.at, params: d.params, cost });
      }
    }
    if (!batch) return Promise.resolve();
    this.writing ??= this.drain();
    return batch.done;
  }

  /** The writer: one batch at a time, each holding every append queued while the previous one was written. */
  private async drain(): Promise<void> {
    for (let batch = this.pending; batch; batch = this.pending) {
      this.pending = null;
      this.inflight = batch;
      try {
        await this.append(batch.rows);
        batch.resolve();
      } catch (err) {
        batch.reject(err);
      }
    }
    this.inflight = null;
    // Cleared in the same turn as the last look at `pending`, so a later append starts a new writer.
    this.writing = null;
  }

  private async append(rows: readonly PendingRow[]): Promise<void> {
    let held = rows;
    try {
      // Rows of sessions dropped or claimed since they were queued are not written.
      held = rows.filter((r) => {
        if (this.mine.has(r.protocol)) return true;
        this.opts.budget.give(r.projectId, r.cost);
        return false;
      });
      if (held.length === 0) return;
      const touched = [...new Set(held.map((r) => r.protocol))];
      await Promise.all(touched.map((p) => this.parking.get(p)?.catch(() => undefined)));
      const gone = new Set<string>();
      for (const chunk of chunkRows(held, 5, this.opts.maxParameters)) {
        await this.db.transaction().execute(async (tx) => {
          // Locked in protocol order, as every statement locking several sessions: a claim deleting a
          // session waits for this insert, or this insert for it (and then finds no session).
          const parked = await tx
            .selectFrom('relay_parked_sessions')
            .select(['protocol', 'instance_id'])
            .where('protocol', 'in', [...new Set(chunk.map((r) => r.protocol))])
            .orderBy('protocol')
            .$if(this.opts.rowLocks, (q) => q.forShare())
            .execute();
          // This node's parks only: one claimed elsewhere is gone, or parked again by the other node.
          const here = new Set(parked.filter((p) => p.instance_id === this.opts.instanceId).map((p) => p.protocol));
          for (const r of chunk) if (!here.has(r.protocol)) gone.add(r.protocol);
          const values = chunk.filter((r) => here.has(r.protocol)).map((r) => ({ protocol: r.protocol, event_id: r.event_id, key: r.key, at: r.at, params: r.params }));
          // Inserted in the order given (one message's events arrive together): the replay follows `seq`.
          if (values.length > 0) await tx.insertInto('relay_parked_events').values(values).onConflict((oc) => oc.columns(['protocol', 'key']).doNothing()).execute();
        });
      }
      // No longer listed here (unless parked here again meanwhile): nothing more is queued for them.
      for (const p of gone) if (!this.parking.has(p)) this.mine.delete(p);
      const mineLeft = touched.filter((p) => !gone.has(p));
      if (mineLeft.length === 0) return;
      const over = await this.db
        .selectFrom('relay_parked_events')
        .select(['protocol', (eb) => eb.fn.countAll<number>().as('n')])
        .where('protocol', 'in', mineLeft)
        .groupBy('protocol')
        .having((eb) => eb.fn.countAll(), '>', this.opts.maxEvents)
        .execute();
      for (const o of over) await this.forget(o.protocol, 'overflow');
    } finally {
      // The events are in the database now (or lost with the error): their budget is freed.
      for (const r of held) this.opts.budget.give(r.projectId, r.cost);
    }
  }

  relieve(projectId: string, moreThan: number): boolean {
    const protocol = relievePending(this.pending?.rows ?? [], projectId, moreThan, this.opts.budget);
    if (protocol !== undefined) this.drop(protocol, 'overflow');
    return protocol !== undefined;
  }

  /**
   * Revocation reaches every node over the bus, and each ends the sessions it parked (the ones it
   * appends to); a claim on another node meanwhile checks the stored token itself.
   */
  revoke(isActive: TokenCheck, projectId?: string): Promise<number> {
    return endRevokedSessions(this.mine, (s) => s, isActive, projectId, (protocol) => this.drop(protocol, 'revoked'));
  }

  expire(now: number): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    return this.track(this.expireNow(now));
  }

  private async expireNow(now: number): Promise<number> {
    const gone = await this.db
      .deleteFrom('relay_parked_sessions')
      .where('protocol', 'in', (eb) => eb.selectFrom('relay_parked_sessions').select('protocol').where('expires_at', '<=', now).orderBy('protocol').$if(this.opts.rowLocks, (q) => q.forUpdate()))
      .returning('protocol')
      .execute();
    if (gone.length === 0) return 0;
    for (const chunk of chunkRows(gone.map((g) => g.protocol), 1, this.opts.maxParameters)) {
      await this.db.deleteFrom('relay_parked_events').where('protocol', 'in', chunk).execute();
    }
    for (const { protocol } of gone) {
      if (this.mine.delete(protocol)) this.opts.onDropped?.(protocol, 'expired');
    }
    return gone.length;
  }

  /**
   * Shutdown: wait for the writes in flight (the database closes next), discard the appends still
   * pending and forget the sessions this node parked (nobody would append their missed events).
   * Handing off: the pending appends are written too and the sessions stay, for a claim on another
   * node (or this node's next process), whose catch-up covers what follows their park.
   */
  async clear(handOff = false): Promise<void> {
    this.closed = true;
    const pending = handOff ? null : this.pending;
    if (pending) {
      this.pending = null;
      for (const r of pending.rows) this.opts.budget.give(r.projectId, r.cost);
      pending.resolve();
    }
    await this.writing;
    await Promise.allSettled([...this.parking.values(), ...this.running]);
    if (!handOff) await this.forgetInstance(this.opts.instanceId);
    this.mine.clear();
  }

  /** Forget the sessions a dead instance parked: their missed events were not appended since it died. */
  async forgetInstance(instanceId: string): Promise<number> {
    const gone = await this.db
      .deleteFrom('relay_parked_sessions')
      .where('protocol', 'in', (eb) =>
        eb
          .selectFrom('relay_parked_sessions')
          .select('protocol')
          .where('instance_id', '=', instanceId)
          // Its sessions' checkpoints stay: a client of the dead node resumes from them (relay-checkpoints.ts).
          .where('protocol', 'not like', `${CHECKPOINT_PREFIX}%`)
          .orderBy('protocol')
          .$if(this.opts.rowLocks, (q) => q.forUpdate()),
      )
      .returning('protocol')
      .execute();
    for (const chunk of chunkRows(gone.map((g) => g.protocol), 1, this.opts.maxParameters)) {
      await this.db.deleteFrom('relay_parked_events').where('protocol', 'in', chunk).execute();
    }
    return gone.length;
  }

  /** Stop appending to a session at once and delete its rows in the background (shutdown waits for them). */
  private drop(protocol: string, why: ParkedSessionEnd): void {
    if (!this.mine.delete(protocol)) return;
    this.opts.onDropped?.(protocol, why);
    // Rows not deleted expire with their window; nothing appends to them any more.
    const forgetting: Promise<void> = this.track(this.forgetRows(protocol))
      .catch(() => undefined)
      .finally(() => {
        if (this.dropping.get(protocol) === forgetting) this.dropping.delete(protocol);
      });
    this.dropping.set(protocol, forgetting);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = () => this.running.delete(work);
    work.then(done, done);
    return work;
  }

  private async forget(protocol: string, why: ParkedSessionEnd): Promise<void> {
    await this.forgetRows(protocol);
    if (this.mine.delete(protocol)) this.opts.onDropped?.(protocol, why);
  }
}

/**
 * The claimed events, then those that arrived while the claim ran and address the session (by
 * its contexts or its protocol), each key once.
 */
function withHeld(
  stored: ReadonlyArray<{ event_id: string; key: string; at: number | string; params: string }>,
  held: readonly RelayEventDelivery[],
  protocol: string,
  contexts: ReadonlySet<string>,
): ReadonlyArray<{ event_id: string; key: string; at: number | string; params: string }> {
  if (held.length === 0) return stored;
  const out = [...stored];
  const keys = new Set(stored.map((e) => e.key));
  for (const d of held) {
    if (keys.has(d.key) || !addresses(d, protocol, contexts)) continue;
    keys.add(d.key);
    out.push({ event_id: randomUUID(), key: d.key, at: d.at, params: d.params });
  }
  return out;
}

/** Whether an event is for the parked session `protocol` subscribed to `contexts`. */
function addresses(d: RelayEventDelivery, protocol: string, contexts: ReadonlySet<string>): boolean {
  return d.protocols.includes(protocol) || d.contexts.some((c) => contexts.has(c));
}
