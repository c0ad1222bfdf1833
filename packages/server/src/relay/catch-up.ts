/**
 * Catching a session up from the database, the truth. The bus is not durable: a node killed
 * between committing a message's state and publishing it loses that event, and a client whose node
 * went away gets nothing of what was published until it is back (on any node: no session was
 * parked for it). When a session is resumed or adopted again, the stored events of the messages it
 * follows (by its contexts and its protocol, the Python SDK's default context, and those it sent:
 * `MessageRecord.relaySender`) are read once, and
 * each message's last state it has not had is sent: the state a client waits for, and at most one
 * repeat per message of what the client may have had from the node that died (the SDKs pass a
 * repeated state on to the application as it is).
 *
 * Bounded: the events since a parked session's park, or of the last `relay.catchUpWindowMs` for a
 * session adopted again, at most `limit` of them (the newest), each holding its share of the node's
 * buffer budget. Only the session's project's. The read walks the stored event ids of every
 * project down to the window's start (no index leads with the project: one would cost every
 * message's four event inserts), `CATCH_UP_SCAN_ROWS` ids a statement with the event loop turning
 * between them, at most `CATCH_UP_MAX_SCAN_ROWS` ids: how many other projects wrote meanwhile does
 * not decide what a project's session gets back, only how long the read takes. Reads of different
 * projects running at the same time share the walk (store/repositories/event-walk.ts): after a
 * crash the projects with sessions adopted again walk the window's ids about once, not once each.
 * Batched: after a restart every client comes back within seconds, so the reads of one project
 * wait for the one running and are made together (`CatchUpReader`), one read per project at a time.
 * Paced: at most `CATCH_UP_READ_BURST` reads of one project at once and `CATCH_UP_READS_PER_SECOND`
 * after, so a client reconnecting in a loop waits for its project's turn (its requests asked
 * meanwhile are read together) instead of keeping the store busy; other projects' reads go on.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { MessageEventWithMessage, MessageEventRepository } from '../domain/ports/store.js';
import type { BufferedRelayEvent } from '../domain/ports/relay-resume.js';
import { eventKey } from '../domain/relay-event-keys.js';
import { eventCost, type BufferBudget } from './buffer-budget.js';
import { messagingEventParams } from './event-payloads.js';
import { TokenBucket } from '../util/token-bucket.js';

/** Stored event ids (of every project) one statement of a catch-up looks through: a few milliseconds of SQLite. */
export const CATCH_UP_SCAN_ROWS = 20_000;
/**
 * Stored event ids (of every project) one catch-up looks through at most: the default window's
 * events at about twice the most one SQLite node writes (5,000 messages, 20,000 events a second).
 */
export const CATCH_UP_MAX_SCAN_ROWS = 5_000_000;
/** How far before its start a catch-up's walk goes on: events of different nodes and batches are stored slightly out of time order. */
export const CATCH_UP_SKEW_MS = 10_000;
/** Reads of one project's catch-ups at once, and how many more a second. */
export const CATCH_UP_READ_BURST = 4;
export const CATCH_UP_READS_PER_SECOND = 2;
/**
 * Requests of one project that may wait for its next read (they are read together then): past
 * them a connect or subscription needing one is refused (`waitFor`). A crowd reconnecting after a
 * restart is at most `relay.maxSessionsPerProject` (1,000) connects and their subscriptions; a
 * session's `signalwire.receive`s in flight are not bounded by its sessions.
 */
export const CATCH_UP_MAX_WAITING = 4_096;
/** Most events one batched read returns (the newest), whatever the number of sessions it serves. */
const MAX_BATCH_ROWS = 50_000;
/**
 * How long (ms, the reader's clock) a stop waits for the reads under way: one can walk the whole
 * window (up to `CATCH_UP_MAX_SCAN_ROWS` ids). Past it they are abandoned, their requests answered
 * as a failed read's (their sessions get no catch-up); their walk ends at its next statement, once
 * the store is closed.
 */
export const CATCH_UP_STOP_WAIT_MS = 1_000;

export type CatchUpReads = Pick<MessageEventRepository, 'listRecentForContexts'>;

interface Waiting {
  readonly contexts: ReadonlySet<string>;
  readonly senders: ReadonlySet<string>;
  readonly since: number;
  readonly limit: number;
  resolve(rows: MessageEventWithMessage[]): void;
  reject(err: unknown): void;
}

/**
 * Reads for catch-ups, one project's at a time: the reads asked while one runs are made together
 * next (their contexts joined, from the earliest `since`), and each gets its own rows back.
 */
export class CatchUpReader {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly running = new Set<string>();
  /** Each project's pace (one small entry per project that read lately; those refilled are dropped as more come). */
  private readonly paces = new Map<string, TokenBucket>();
  /** The timer of each project waiting for its turn: cancelled at `stop`. */
  private readonly turns = new Map<string, () => void>();
  /** Reads being made, with their requests: `stop` waits for them (the store closes after it), for a while. */
  private readonly reading = new Map<Promise<void>, readonly Waiting[]>();
  private stopped: Error | null = null;
  /** Reads a stop gave up waiting for: their failure (the store closed under them) is not reported. */
  private abandoned = false;

  /**
   * @param clock network time (the pace), with the timer a read waiting for its turn is armed on
   * @param maxWaiting requests of one project waiting for its next read, past which `waitFor` refuses and `read` fails
   */
  constructor(
    private readonly reads: CatchUpReads,
    private readonly clock: Clock,
    private readonly maxWaiting = CATCH_UP_MAX_WAITING,
    /** Told of a read that failed (its requests get nothing: catchUpEvents). */
    private readonly onFailed: (err: unknown, projectId: string) => void = () => {},
  ) {}

  /**
   * Null when a catch-up of `projectId` may be asked now; else how long (ms) to wait before asking
   * again: as many of its requests wait for its next read as may. Asked before a connect or a
   * subscription starts one, so that it is refused rather than caught up with nothing.
   */
  waitFor(projectId: string): number | null {
    if ((this.waiting.get(projectId)?.length ?? 0) < this.maxWaiting) return null;
    const now = this.clock.now();
    return Math.max(Math.ceil(1_000 / CATCH_UP_READS_PER_SECOND), (this.paces.get(projectId)?.nextAt(now) ?? now) - now);
  }

  /** Rows of `projectId` for `contexts` or sent by `senders` since `since`, oldest first, at most `limit` (the newest). */
  read(projectId: string, contexts: readonly string[], senders: readonly string[], since: number, limit: number): Promise<MessageEventWithMessage[]> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(this.stopped);
      const list = this.waiting.get(projectId) ?? [];
      // Asked past `waitFor` (requests that checked it together): not kept without end.
      if (list.length >= this.maxWaiting * 2) return reject(new Error(`${list.length} catch-up reads of project ${projectId} wait already`));
      list.push({ contexts: new Set(contexts), senders: new Set(senders), since, limit, resolve, reject });
      this.waiting.set(projectId, list);
      if (!this.running.has(projectId)) this.run(projectId);
    });
  }

  private run(projectId: string): void {
    this.running.add(projectId);
    const now = this.clock.now();
    let pace = this.paces.get(projectId);
    if (!pace) {
      if (this.paces.size >= 1_024) for (const [p, b] of this.paces) if (!this.running.has(p) && b.isFull(now)) this.paces.delete(p);
      this.paces.set(projectId, (pace = new TokenBucket(CATCH_UP_READS_PER_SECOND, CATCH_UP_READ_BURST, now)));
    }
    if (!pace.take(now)) {
      // Not its turn yet: what it asks meanwhile waits, and is read together then.
      const at = pace.nextAt(now);
      const turn = () => {
        this.turns.delete(projectId);
        this.run(projectId);
      };
      if (this.clock.setTimer) this.turns.set(projectId, this.clock.setTimer(at, turn));
      else {
        const t = setTimeout(turn, at - now).unref();
        this.turns.set(projectId, () => clearTimeout(t));
      }
      return;
    }
    // After this turn: the connects of a reconnecting crowd arrive together.
    setImmediate(() => {
      const batch = this.waiting.get(projectId) ?? [];
      this.waiting.delete(projectId);
      if (this.stopped) {
        for (const w of batch) w.reject(this.stopped);
        this.running.delete(projectId);
        return;
      }
      const read = this.readFor(projectId, batch).finally(() => {
        this.reading.delete(read);
        if (this.waiting.has(projectId) && !this.stopped) return this.run(projectId);
        this.running.delete(projectId);
      });
      this.reading.set(read, batch);
    });
  }

  /**
   * The node stops: the requests waiting for their project's turn get nothing (their timers are
   * cancelled: none fires after the store closed), later ones fail at once; resolves once the
   * reads under way are done, or `waitMs` later (this reader's clock): then their requests get
   * nothing, as from a failed read, and the stop goes on without them.
   */
  async stop(waitMs = CATCH_UP_STOP_WAIT_MS): Promise<void> {
    const stopped = (this.stopped ??= new Error('the RELAY service is stopping'));
    for (const cancel of this.turns.values()) cancel();
    this.turns.clear();
    for (const [projectId, list] of this.waiting) {
      this.waiting.delete(projectId);
      for (const w of list) w.reject(stopped);
    }
    if (this.reading.size === 0) return;
    let cancel = () => {};
    const waited = new Promise<'late'>((resolve) => {
      const at = this.clock.now() + waitMs;
      if (this.clock.setTimer) cancel = this.clock.setTimer(at, () => resolve('late'));
      else {
        const t = setTimeout(() => resolve('late'), waitMs).unref();
        cancel = () => clearTimeout(t);
      }
    });
    try {
      while (this.reading.size > 0) {
        if ((await Promise.race([Promise.allSettled([...this.reading.keys()]), waited])) !== 'late') continue;
        // Abandoned: answered now (a request settles once: the read's late rows go nowhere).
        this.abandoned = true;
        for (const batch of this.reading.values()) for (const w of batch) w.reject(stopped);
        return;
      }
    } finally {
      cancel();
    }
  }

  private async readFor(projectId: string, batch: readonly Waiting[]): Promise<void> {
    const contexts = new Set<string>();
    const senders = new Set<string>();
    let since = Infinity;
    let limit = 0;
    for (const w of batch) {
      for (const c of w.contexts) contexts.add(c);
      for (const s of w.senders) senders.add(s);
      since = Math.min(since, w.since);
      limit += w.limit;
    }
    let rows: MessageEventWithMessage[];
    try {
      rows = await this.reads.listRecentForContexts(projectId, [...contexts], [...senders], {
        since,
        limit: Math.min(limit, MAX_BATCH_ROWS),
        scanRows: CATCH_UP_SCAN_ROWS,
        scanSince: since - CATCH_UP_SKEW_MS,
        maxScanRows: CATCH_UP_MAX_SCAN_ROWS,
      });
    } catch (err) {
      // Abandoned by a stop, its store closing under it: not a fault to report.
      if (!this.abandoned) this.onFailed(err, projectId);
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) {
      const mine = rows.filter((r) => r.event.at >= w.since && (w.contexts.has(r.message.context ?? 'default') || (r.message.relaySender !== null && w.senders.has(r.message.relaySender))));
      w.resolve(mine.slice(Math.max(0, mine.length - w.limit)));
    }
  }
}

export interface CatchUpRequest {
  readonly projectId: string;
  readonly protocol: string;
  readonly contexts: Iterable<string>;
  /** Events before this (ms, message time) are not read. */
  readonly since: number;
  /** Whether the session already has the event of this key (`eventKey`), asked once the events are read: not sent again. */
  readonly seen: (key: string) => boolean;
  /**
   * Whether `messaging.receive` events are caught up too: only from a known position (a parked
   * session's park). Repeating an inbound message a client already handled would make it handle
   * it twice, so a session adopted again without one gets states only.
   */
  readonly receives: boolean;
  /** Most events read. */
  readonly limit: number;
}

/** The events to replay to a session (budget taken; past the budget the rest is left); none when storage cannot be read. */
export async function catchUpEvents(reader: CatchUpReader, budget: BufferBudget, req: CatchUpRequest): Promise<BufferedRelayEvent[]> {
  const contexts = [...new Set([...req.contexts, req.protocol])];
  let rows: MessageEventWithMessage[];
  try {
    rows = await reader.read(req.projectId, contexts, [req.protocol], req.since, req.limit);
  } catch {
    // A resume is not refused for it; the session gets what the bus brings.
    return [];
  }
  const out: BufferedRelayEvent[] = [];
  for (const { message, event } of lastEventPerMessage(rows, req.receives)) {
    const key = eventKey(message.id, event.status);
    if (req.seen(key)) continue;
    const params = messagingEventParams({ ...message, status: event.status, errorCode: event.errorCode ?? message.errorCode }, event.at);
    if (!budget.take(req.projectId, eventCost(params))) break;
    out.push({ id: randomUUID(), key, at: event.at, params });
  }
  return out;
}

/**
 * Each message's last event among `rows` (oldest first), in the order of those last events. Of an
 * inbound message only its arrival counts, and only when `receives`.
 */
export function lastEventPerMessage(rows: readonly MessageEventWithMessage[], receives: boolean): IterableIterator<MessageEventWithMessage> {
  const last = new Map<string, MessageEventWithMessage>();
  for (const row of rows) {
    if (row.message.direction === 'inbound' && (!receives || row.event.status !== 'received')) continue;
    last.delete(row.message.id);
    last.set(row.message.id, row);
  }
  return last.values();
}
