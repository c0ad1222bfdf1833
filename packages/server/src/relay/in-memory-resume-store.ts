/**
 * The single-node `RelayResumeStore`: parked sessions in maps, indexed by project and context so
 * an event finds the parked sessions it addresses without scanning. Bounded per session
 * (`maxEvents`) and in total (the shared `BufferBudget`); a session that would exceed either is
 * dropped whole and reported, never silently thinned. A project keeps at most `maxPerProject`
 * parked sessions (its oldest is dropped for a new one), so a client that connects and drops
 * over and over cannot pile up sessions, and their share of every event, for a whole resume window.
 *
 * A stop hands the parked sessions over (`clear(true)`) to `handOff`, a store in the database, and a
 * claim this store cannot answer asks it: a client of the process before this one resumes from
 * where it left, its catch-up covering what came after its park.
 */
import { randomUUID } from 'node:crypto';
import type { BufferedRelayEvent, ParkedRelaySession, ParkedSessionEnd, RelayEventDelivery, RelayResumeStore, TokenCheck } from '../domain/ports/relay-resume.js';
import { endRevokedSessions } from '../domain/relay-revocation.js';
import { eventCost, eventsCost, type BufferBudget } from './buffer-budget.js';

/** How often sessions handed over by an earlier process are looked at for expiry. */
const HAND_OFF_EXPIRY_MS = 60_000;

interface Parked {
  session: ParkedRelaySession;
  events: BufferedRelayEvent[];
  keys: Set<string>;
  bytes: number;
}

export class InMemoryResumeStore implements RelayResumeStore {
  private readonly byProtocol = new Map<string, Parked>();
  /** projectId → context → protocols. */
  private readonly byContext = new Map<string, Map<string, Set<string>>>();
  /** projectId → its parked protocols, oldest first. */
  private readonly perProject = new Map<string, Set<string>>();

  constructor(
    private readonly opts: {
      readonly maxEvents: number;
      readonly budget: BufferBudget;
      /** Parked sessions one project may have (default: no limit). */
      readonly maxPerProject?: number;
      /** Told when a session is dropped before it could resume. */
      readonly onDropped?: (protocol: string, why: ParkedSessionEnd) => void;
      /** Where the parked sessions go at a stop, and where a claim not found here looks. */
      readonly handOff?: RelayResumeStore;
    },
  ) {}

  /** When the sessions handed over by an earlier process are next looked at for expiry (ms). */
  private handOffExpiry = 0;

  /** Parked sessions now. */
  get size(): number {
    return this.byProtocol.size;
  }

  /** Whether a session is parked here now. */
  has(protocol: string): boolean {
    return this.byProtocol.has(protocol);
  }

  async park(session: ParkedRelaySession): Promise<void> {
    this.remove(session.protocol);
    const events = [...session.events];
    const bytes = eventsCost(events);
    // The live session already holds budget for these events; parking moves it, it does not add to it.
    if (events.length > this.opts.maxEvents) {
      this.opts.budget.give(session.projectId, bytes);
      this.opts.onDropped?.(session.protocol, 'overflow');
      return;
    }
    const p: Parked = { session, events, keys: new Set(events.map((e) => e.key)), bytes };
    // Room for it: the project's oldest parked sessions go first.
    const max = this.opts.maxPerProject ?? Infinity;
    for (let parked = this.perProject.get(session.projectId); parked && parked.size >= max; parked = this.perProject.get(session.projectId)) {
      this.drop(parked.values().next().value!, 'crowded');
    }
    let mine = this.perProject.get(session.projectId);
    if (!mine) this.perProject.set(session.projectId, (mine = new Set()));
    this.byProtocol.set(session.protocol, p);
    mine.add(session.protocol);
    let contexts = this.byContext.get(session.projectId);
    if (!contexts) this.byContext.set(session.projectId, (contexts = new Map()));
    for (const c of session.contexts) {
      let set = contexts.get(c);
      if (!set) contexts.set(c, (set = new Set()));
      set.add(session.protocol);
    }
  }

  async claim(projectId: string, protocol: string, now: number, isActive?: TokenCheck): Promise<ParkedRelaySession | undefined> {
    const p = this.byProtocol.get(protocol);
    if (!p) return this.opts.handOff?.claim(projectId, protocol, now, isActive);
    if (p.session.projectId !== projectId) return undefined;
    if (p.session.expiresAt <= now) {
      this.drop(protocol, 'expired');
      return undefined;
    }
    // Its token checked before it leaves: a check that fails (throws) leaves it parked, events and all.
    const { tokenId } = p.session;
    if (isActive && tokenId !== null) {
      const active = await isActive(projectId, tokenId);
      // Claimed or replaced meanwhile (another connect of the same protocol): that one's turn.
      if (this.byProtocol.get(protocol) !== p) return this.claim(projectId, protocol, now, isActive);
      if (!active) {
        this.drop(protocol, 'revoked');
        return undefined;
      }
    }
    this.remove(protocol, false);
    return { ...p.session, events: p.events };
  }

  async deliver(deliveries: readonly RelayEventDelivery[]): Promise<void> {
    if (this.byProtocol.size === 0) return;
    for (const d of deliveries) {
      if (!this.perProject.has(d.projectId)) continue;
      const targets = new Set<string>();
      const contexts = this.byContext.get(d.projectId);
      if (contexts) {
        for (const c of d.contexts) for (const protocol of contexts.get(c) ?? []) targets.add(protocol);
      }
      for (const protocol of d.protocols) {
        const p = this.byProtocol.get(protocol);
        if (p && p.session.projectId === d.projectId) targets.add(protocol);
      }
      for (const protocol of targets) this.append(protocol, d);
    }
  }

  revoke(isActive: TokenCheck, projectId?: string): Promise<number> {
    return endRevokedSessions(this.byProtocol, (p) => p.session, isActive, projectId, (protocol) => this.drop(protocol, 'revoked'));
  }

  async expire(now: number): Promise<number> {
    if (this.opts.handOff && now >= this.handOffExpiry) {
      // Rarely: those sessions are few (one stop's), and a claim checks its own expiry.
      this.handOffExpiry = now + HAND_OFF_EXPIRY_MS;
      await this.opts.handOff.expire(now);
    }
    let n = 0;
    for (const [protocol, p] of this.byProtocol) {
      if (p.session.expiresAt <= now) {
        this.drop(protocol, 'expired');
        n++;
      }
    }
    return n;
  }

  relieve(projectId: string, moreThan: number): boolean {
    let most: Parked | undefined;
    for (const protocol of this.perProject.get(projectId) ?? []) {
      const p = this.byProtocol.get(protocol)!;
      if (p.events.length > moreThan && (!most || p.events.length > most.events.length)) most = p;
    }
    if (most) this.drop(most.session.protocol, 'overflow');
    return most !== undefined;
  }

  async clear(handOff = false): Promise<void> {
    const to = handOff ? this.opts.handOff : undefined;
    const parked = [...this.byProtocol.values()];
    // Handed over, the events' budget goes with them (the store in the database gives it back once written).
    for (const p of parked) this.remove(p.session.protocol, !to);
    if (!to) return;
    // Storage down: those sessions are lost (their clients start afresh); the first failure is reported.
    const failed = (await Promise.allSettled(parked.map((p) => to.park({ ...p.session, events: p.events })))).find((r) => r.status === 'rejected');
    await to.clear(true);
    if (failed) throw failed.reason;
  }

  private append(protocol: string, d: RelayEventDelivery): void {
    const p = this.byProtocol.get(protocol)!;
    if (p.keys.has(d.key)) return;
    const cost = eventCost(d.params);
    if (p.events.length >= this.opts.maxEvents || !this.opts.budget.take(p.session.projectId, cost)) {
      this.drop(protocol, 'overflow');
      return;
    }
    p.events.push({ id: randomUUID(), key: d.key, at: d.at, params: d.params });
    p.keys.add(d.key);
    p.bytes += cost;
  }

  private drop(protocol: string, why: ParkedSessionEnd): void {
    if (!this.byProtocol.has(protocol)) return;
    this.remove(protocol);
    this.opts.onDropped?.(protocol, why);
  }

  /** Unindex a parked session; by default its events' budget is released (a claim hands it to the live session instead). */
  private remove(protocol: string, release = true): void {
    const p = this.byProtocol.get(protocol);
    if (!p) return;
    this.byProtocol.delete(protocol);
    if (release) this.opts.budget.give(p.session.projectId, p.bytes);
    const { projectId, contexts } = p.session;
    const mine = this.perProject.get(projectId);
    mine?.delete(protocol);
    if (mine?.size === 0) this.perProject.delete(projectId);
    const index = this.byContext.get(projectId);
    if (!index) return;
    for (const c of contexts) {
      const set = index.get(c);
      set?.delete(protocol);
      if (set && set.size === 0) index.delete(c);
    }
    if (index.size === 0) this.byContext.delete(projectId);
  }
}
