/**
 * The console's live feed: Server-Sent Events fed by the bus. Every client belongs to one project
 * and sees only that project's events. Updates are coalesced per message (the latest state wins)
 * and written in one `batch` event per tick, so a thousand messages a second changing four times
 * each cost a few writes a second per client. Buffers are bounded: a client that falls behind (its
 * socket does not drain) gets `reset: true` and reloads instead of the server keeping everything;
 * one whose socket has not drained for `maxStallMs` (a client that stopped reading) is closed, so
 * it holds neither its last batch nor one of the project's feed slots for ever (a browser's
 * EventSource reconnects and starts afresh).
 * A stream lasts only as long as what opened it: each client's `stillAllowed` check (its console
 * session, or its Basic credentials) runs every `recheckMs`, and at once for a project whose
 * credentials changed or whose session logged out; a stream whose check fails is ended (the
 * browser reconnects and is refused).
 * Events of other nodes come over NATS; after a time away from it (`Bus.onMissed`) some may be lost,
 * so every client gets `reset: true` and reloads from the store.
 */
import type { ServerResponse } from 'node:http';
import type { ConsoleFeedBatch } from '@switchboard/protocol';
import type { MessageRecord } from '../../domain/message.js';
import type { Bus, Unsubscribe } from '../../domain/ports/bus.js';
import type { HandsetMessageRecord } from '../../domain/ports/store.js';
import { toConsoleHandset, toSummary } from './presenters.js';
import type { ProjectSeals } from '../sealed-positions.js';

export interface FeedLimits {
  /** How often pending updates are written (ms). */
  readonly flushMs: number;
  /** Distinct messages kept for one client between writes before it is reset. */
  readonly maxPendingMessages: number;
  /** Handset messages kept for one client between writes (older ones are dropped). */
  readonly maxPendingHandset: number;
  readonly maxClientsPerProject: number;
  readonly maxClients: number;
  /** Comment lines that keep idle connections open through proxies (ms). */
  readonly heartbeatMs: number;
  /** How often a client's `stillAllowed` check runs (ms). */
  readonly recheckMs: number;
  /** A client whose socket has not drained for this long is disconnected (ms). */
  readonly maxStallMs: number;
}

/** Whether what opened a stream (a console session, Basic credentials) still holds. */
export type StillAllowed = () => Promise<boolean>;

export const DEFAULT_FEED_LIMITS: FeedLimits = { flushMs: 250, maxPendingMessages: 5_000, maxPendingHandset: 200, maxClientsPerProject: 20, maxClients: 500, heartbeatMs: 15_000, recheckMs: 5_000, maxStallMs: 30_000 };

class FeedClient {
  readonly pending = new Map<string, MessageRecord>();
  handset: HandsetMessageRecord[] = [];
  reset = false;
  /** The socket buffer is full; write again on 'drain'. */
  blocked = false;
  /** When the socket buffer filled (while `blocked`). */
  blockedAt = 0;
  lastWrite = 0;
  lastCheck = 0;
  checking = false;

  constructor(
    readonly projectId: string,
    readonly res: ServerResponse,
    readonly seals: ProjectSeals,
    readonly stillAllowed: StillAllowed | null,
  ) {}
}

export class ConsoleFeed {
  private readonly byProject = new Map<string, Set<FeedClient>>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: Unsubscribe[] = [];
  /** Totals, for tests and benchmarks. */
  readonly stats = { batches: 0, messages: 0, resets: 0, stalled: 0 };

  constructor(
    bus: Bus,
    private readonly limits: FeedLimits = DEFAULT_FEED_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    // One map lookup per event when nobody of that project watches: the feed costs the engine nothing.
    this.unsubscribe.push(
      bus.subscribe('message.status', (e) => {
        const clients = this.byProject.get(e.projectId);
        if (clients) for (const c of clients) this.addMessage(c, e.message);
      }),
      bus.subscribe('handset.received', (h) => {
        const clients = this.byProject.get(h.projectId);
        if (clients) for (const c of clients) this.addHandset(c, h);
      }),
      // A token revoked: check the project's streams once the other subscribers dropped their caches.
      bus.subscribe('credentials.changed', ({ projectId }) => {
        if (this.byProject.has(projectId)) setImmediate(() => this.recheck(projectId));
      }),
      // Other nodes' changes made while NATS was away never arrive: every client reloads.
      bus.onMissed(() => this.resetAll()),
    );
  }

  /** Number of connected clients of a project. */
  clientsOf(projectId: string): number {
    return this.byProject.get(projectId)?.size ?? 0;
  }

  /** False when a limit on connections is reached. */
  canAccept(projectId: string): boolean {
    return this.count < this.limits.maxClients && this.clientsOf(projectId) < this.limits.maxClientsPerProject;
  }

  /**
   * Start streaming to a response (headers not yet sent); ends when the connection closes, or when
   * `stillAllowed` (checked every `recheckMs` and on `recheck`) answers false or fails.
   */
  attach(projectId: string, res: ServerResponse, seals: ProjectSeals, stillAllowed: StillAllowed | null = null): void {
    const client = new FeedClient(projectId, res, seals, stillAllowed);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write('retry: 2000\n: connected\n\n');
    client.lastWrite = client.lastCheck = this.now();
    let set = this.byProject.get(projectId);
    if (!set) this.byProject.set(projectId, (set = new Set()));
    set.add(client);
    this.count++;
    res.on('drain', () => {
      client.blocked = false;
    });
    res.on('close', () => this.detach(client));
    this.timer ??= setInterval(() => this.flush(), this.limits.flushMs);
  }

  /** End every stream (server shutdown). */
  close(): void {
    for (const set of this.byProject.values()) for (const c of set) c.res.end();
    this.byProject.clear();
    this.count = 0;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribe) u();
  }

  /** Run the checks of a project's streams now (its credentials changed, one of its sessions ended). */
  recheck(projectId: string): void {
    const set = this.byProject.get(projectId);
    if (set) for (const c of set) this.check(c, this.now());
  }

  private check(c: FeedClient, now: number): void {
    if (!c.stillAllowed || c.checking) return;
    c.checking = true;
    c.lastCheck = now;
    c.stillAllowed()
      .catch(() => false)
      .then((allowed) => {
        c.checking = false;
        if (allowed) return;
        this.detach(c);
        c.res.end();
      });
  }

  private detach(client: FeedClient): void {
    const set = this.byProject.get(client.projectId);
    if (!set?.delete(client)) return;
    this.count--;
    if (set.size === 0) this.byProject.delete(client.projectId);
    if (this.count === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private addMessage(c: FeedClient, m: MessageRecord): void {
    if (c.reset) return;
    // Re-inserting moves the message to the end, so a batch lists messages in the order they last changed.
    c.pending.delete(m.id);
    // Deleted through the Compatibility API (while `sent`, a receipt still changes it): not shown, as in the lists.
    if (m.deletedAt !== null) return;
    c.pending.set(m.id, m);
    if (c.pending.size > this.limits.maxPendingMessages) this.resetClient(c);
  }

  /** Tell every client to reload: updates were lost (NATS was away). */
  private resetAll(): void {
    for (const set of this.byProject.values()) for (const c of set) this.resetClient(c);
  }

  private resetClient(c: FeedClient): void {
    c.pending.clear();
    c.handset = [];
    c.reset = true;
    this.stats.resets++;
  }

  private addHandset(c: FeedClient, h: HandsetMessageRecord): void {
    if (c.reset) return;
    c.handset.push(h);
    if (c.handset.length > this.limits.maxPendingHandset) c.handset.shift();
  }

  private flush(): void {
    const now = this.now();
    for (const set of this.byProject.values()) {
      for (const c of set) {
        if (now - c.lastCheck >= this.limits.recheckMs) this.check(c, now);
        if (c.blocked) {
          if (now - c.blockedAt >= this.limits.maxStallMs) {
            this.stats.stalled++;
            this.detach(c);
            c.res.destroy();
          }
          continue;
        }
        if (c.pending.size === 0 && c.handset.length === 0 && !c.reset) {
          if (now - c.lastWrite >= this.limits.heartbeatMs) this.write(c, ': keep-alive\n\n', now);
          continue;
        }
        const batch: ConsoleFeedBatch = { messages: [...c.pending.values()].map((m) => toSummary(m, c.seals)), handset: c.handset.map((h) => toConsoleHandset(h, c.seals)), reset: c.reset };
        this.stats.batches++;
        this.stats.messages += batch.messages.length;
        c.pending.clear();
        c.handset = [];
        c.reset = false;
        this.write(c, `event: batch\ndata: ${JSON.stringify(batch)}\n\n`, now);
      }
    }
  }

  private write(c: FeedClient, chunk: string, now: number): void {
    c.lastWrite = now;
    if (!c.res.write(chunk)) {
      c.blocked = true;
      c.blockedAt = now;
    }
  }
}
