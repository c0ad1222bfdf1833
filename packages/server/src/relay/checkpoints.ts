/**
 * Checkpoints of the node's RELAY sessions, for their clients after a crash. A stop hands its
 * sessions over exactly (relay-service.ts); a killed process takes with it what each session's
 * client had and had not had, and its client came back adopted again with no position: each
 * followed message's last state of the catch-up window came again, and no inbound message was
 * caught up. So each session's position is saved now and then: a time in message time before which
 * its client had every event addressed to it, and the keys of the events since that it had
 * (acknowledged, or written to a client that does not ack). The node the client comes back to takes
 * the checkpoint and catches it up from there (catch-up.ts), states and inbound messages, minus those keys.
 *
 * Cost: one transaction per housekeeping tick (1 s) for all the node's sessions whose
 * acknowledgements or contexts changed (and every session once per half resume window, its expiry
 * renewed), none when nothing changed; never one per event. A session that parks is saved once
 * more as it parks (on SQLite parked sessions live in memory only), one that ends is forgotten.
 *
 * At least once, not exactly: what the client had after the last save (at most a tick and a write
 * before the crash) comes again, as does an event written but not yet acknowledged when the node
 * died. The position lies `CHECKPOINT_MARGIN_MS` back (events committed then may still be on their
 * way to this node) or at the session's oldest unacknowledged event, within the catch-up window.
 */
import type { RelayCheckpointStore, RelaySessionCheckpoint, TokenCheck } from '../domain/ports/relay-resume.js';
import type { RelaySession } from './session.js';

/** How far back a position lies from its save: publishes of states committed earlier may still be on their way. */
export const CHECKPOINT_MARGIN_MS = 5_000;

/** A live session and the API token acting for it (its connection's). */
export interface LiveSession {
  readonly session: RelaySession;
  readonly tokenId: string | null;
}

export class SessionCheckpoints {
  private saving: Promise<void> | null = null;
  /** Taken as sessions parked, written at the next save. */
  private readonly parked = new Map<string, RelaySessionCheckpoint>();
  /** Sessions that ended since the last save: their checkpoints go. */
  private readonly ended = new Set<string>();
  /** Forgotten by the save in flight. */
  private forgetting = new Set<string>();
  /** When each live session was last saved (ms, the node's clock). */
  private readonly saved = new Map<string, number>();

  constructor(
    private readonly store: RelayCheckpointStore,
    private readonly opts: {
      readonly resumeWindowMs: number;
      readonly catchUpWindowMs: number;
      /** The node's clock (expiry). */
      now(): number;
      /** Message time (positions). */
      messageNow(): number;
      onError(err: unknown): void;
      onSaved(): void;
    },
  ) {}

  /** Where `session` stands now. */
  of({ session, tokenId }: LiveSession): RelaySessionCheckpoint {
    const now = this.opts.messageNow();
    const { since, had } = session.position(now, CHECKPOINT_MARGIN_MS, now - this.opts.catchUpWindowMs);
    return { protocol: session.protocol, projectId: session.projectId, tokenId, contexts: [...session.contexts], eventAcks: session.eventAcks, since, had, expiresAt: this.opts.now() + this.opts.resumeWindowMs };
  }

  /** A session parked (`point`: taken before its events left it): saved at the next save. */
  park(point: RelaySessionCheckpoint): void {
    this.parked.set(point.protocol, point);
    this.ended.delete(point.protocol);
    this.saved.delete(point.protocol);
  }

  /** A session ended (no resume), or its parked session was dropped: its checkpoint goes at the next save. */
  end(protocol: string): void {
    this.ended.add(protocol);
    this.parked.delete(protocol);
    this.saved.delete(protocol);
  }

  /**
   * The checkpoint of a session to resume, unless it ended here and its checkpoint is still being
   * forgotten (a parked session dropped for overflowing resumes afresh, as without checkpoints).
   */
  take(projectId: string, protocol: string, now: number, isActive?: TokenCheck): Promise<RelaySessionCheckpoint | undefined> {
    if (this.ended.has(protocol) || this.forgetting.has(protocol)) return Promise.resolve(undefined);
    return this.store.take(projectId, protocol, now, isActive);
  }

  /** Write what changed since the last save, in one transaction (none when nothing did; skipped while one runs). */
  save(live: Iterable<LiveSession>): void {
    if (this.saving) return;
    const now = this.opts.now();
    const write = [...this.parked.values()];
    const forget = [...this.ended];
    const mine: RelaySession[] = [];
    for (const l of live) {
      // Acknowledgements or contexts changed (the registry marks the latter), or its expiry is half gone.
      const last = this.saved.get(l.session.protocol);
      if (!l.session.checkpointDirty && last !== undefined && now - last < this.opts.resumeWindowMs / 2) continue;
      l.session.checkpointDirty = false;
      write.push(this.of(l));
      mine.push(l.session);
      this.saved.set(l.session.protocol, now);
    }
    if (write.length === 0 && forget.length === 0) return;
    this.parked.clear();
    this.ended.clear();
    this.forgetting = new Set(forget);
    this.saving = this.store
      .save(write, forget)
      .then(() => this.opts.onSaved())
      .catch((err: unknown) => {
        // Again at the next save, unless something newer replaced it meanwhile.
        for (const s of mine) {
          s.checkpointDirty = true;
          this.saved.delete(s.protocol);
        }
        for (const p of write) if (!mine.some((s) => s.protocol === p.protocol) && !this.parked.has(p.protocol) && !this.ended.has(p.protocol)) this.parked.set(p.protocol, p);
        for (const p of forget) if (!this.parked.has(p) && !this.saved.has(p)) this.ended.add(p);
        this.opts.onError(err);
      })
      .finally(() => {
        this.saving = null;
        this.forgetting = new Set();
      });
  }

  /** Wait for the save in flight. */
  async idle(): Promise<void> {
    await this.saving;
  }

  /**
   * At a clean stop, once every session parked or ended: what changed since the last save is
   * written (the parks' positions, the ended sessions' checkpoints gone), after the save in flight.
   * Else a session ended in the stop's last second kept its previous checkpoint, and a client
   * naming its protocol later resumed it from there (`session_restored: true`, events it had again);
   * a handed-over session's checkpoint was a tick old, the fallback should its next node be killed
   * before saving it.
   */
  async flush(): Promise<void> {
    await this.saving;
    this.save([]);
    await this.saving;
  }
}
