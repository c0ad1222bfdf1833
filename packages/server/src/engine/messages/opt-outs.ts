/**
 * Opt-out compliance. A handset whose whole message (trimmed, any case) is an opt-out keyword is
 * put on the sender's opt-out list — the number's groups when it belongs to any (a group is one
 * sender to the handset, as a Twilio Messaging Service is), else the number — and later sends
 * from that sender to it are refused at create time (`TO_OPTED_OUT`: compat 21610) before
 * anything is queued. An opt-in keyword takes it off again; a help keyword gets the help text.
 * Each gets the sender's reply unless replies are switched off (opt-outs-settings.ts). The inbound
 * message itself is stored and handed to the application as any other.
 *
 * The create-time check costs nothing for a project that never had an opt-out: whether a project
 * has any is cached (a `true` for good, a `false` until a change is heard on the bus or `ttlMs`
 * passes); otherwise it is one indexed lookup.
 */
import { AppError } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { OptOutRecord, OptOutRepository, SeqPage } from '../../domain/ports/store.js';
import type { SendInput } from '../../domain/send-request.js';
import { GuardedCache } from '../../util/guarded-cache.js';
import { effectiveSettings, type MessagingSettingsCache } from './opt-outs-settings.js';
import { dropOnChange } from '../../domain/bus-freshness.js';

declare module '../../domain/ports/bus.js' {
  interface BusTopics {
    /** A project's opt-out list changed: every node forgets that it had none. */
    'opt_outs.changed': { readonly projectId: string };
  }
}

/**
 * Keywords, as Twilio documents its default handling for long codes
 * (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out) and issue 14 lists them.
 */
export const OPT_OUT_KEYWORDS: readonly string[] = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'];
export const OPT_IN_KEYWORDS: readonly string[] = ['START', 'YES', 'UNSTOP'];
export const HELP_KEYWORDS: readonly string[] = ['HELP', 'INFO'];

export type KeywordAction = 'stop' | 'start' | 'help';

/**
 * Whether a message is the automatic reply to STOP/START/HELP (`OptOutService.inbound` tags it
 * `opt-out:<action>`). Such a reply is never refused for a full sender queue and does not wait behind
 * its sender's backlog (sender-queues.ts): a confirmation that waited hours, or expired, would be no
 * confirmation.
 */
export function isKeywordReply(m: { readonly origin: string; readonly tags?: readonly string[] | null }): boolean {
  return m.origin === 'reply' && !!m.tags?.some((t) => t === 'opt-out:stop' || t === 'opt-out:start' || t === 'opt-out:help');
}

const ACTIONS = new Map<string, KeywordAction>([
  ...OPT_OUT_KEYWORDS.map((k) => [k, 'stop'] as const),
  ...OPT_IN_KEYWORDS.map((k) => [k, 'start'] as const),
  ...HELP_KEYWORDS.map((k) => [k, 'help'] as const),
]);
/** Longest keyword, so ordinary messages are dismissed without upper-casing them. */
const LONGEST = Math.max(...[...ACTIONS.keys()].map((k) => k.length));

/**
 * What a handset's message asks for: only a whole body that is one keyword counts ("STOP please"
 * does not). The length is judged after trimming: "STOP" padded with more whitespace than a guess
 * allowed for (an SMSC's trailing spaces, a phone's newlines) is still the handset's STOP.
 */
export function keywordAction(body: string): { readonly action: KeywordAction; readonly keyword: string } | undefined {
  const word = body.trim();
  if (word.length > LONGEST) return undefined;
  // Letters compared as ASCII: toUpperCase turns some other letters into keywords (ſtop → STOP, ﬆart → START).
  if (!/^[A-Za-z]+$/.test(word)) return undefined;
  const keyword = word.toUpperCase();
  const action = ACTIONS.get(keyword);
  return action ? { action, keyword } : undefined;
}

/**
 * A handset repeating a keyword gets one reply to it per this time. Replies are never refused for a
 * full sender queue and take no rate slot (`isKeywordReply`): without this, a handset sending HELP
 * over and over would have its sender answer every one, at no rate. A STOP after a START (or a
 * START after a STOP) is no repeat: it changed the list, and is confirmed at once.
 */
export const KEYWORD_REPLY_EVERY_MS = 60_000;

export class OptOutService {
  /** Whether each project has opt-outs: a `true` is kept for good, a `false` for `ttlMs` (both until a change is heard). */
  private readonly known: GuardedCache<boolean>;
  /** When each (project, number, handset, action) was last replied to, oldest first (bounded by `maxEntries`). */
  private readonly replied = new Map<string, number>();
  /** Each handset's keyword being applied (by project and handset), so the next waits for it. */
  private readonly applying = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      readonly repository: OptOutRepository;
      readonly settings: MessagingSettingsCache;
      readonly bus: Bus;
      readonly clock: Clock;
      readonly ids: IdGenerator;
      /**
       * The most entries a project's lists may hold for the API to add one more
       * (`projects.maxOptOuts`); none when absent. A handset's keyword is recorded past it.
       */
      readonly maxOptOuts?: number;
    },
    ttlMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {
    this.known = new GuardedCache({
      load: (projectId) => deps.repository.any(projectId),
      now: () => deps.clock.now(),
      expiresAt: (any, at) => (any ? Infinity : at + ttlMs),
      maxEntries,
    });
    dropOnChange(deps.bus, 'opt_outs.changed', ({ projectId }) => this.known.invalidate(projectId), () => this.known.invalidateAll());
  }

  /**
   * Refuse a send to a handset that opted out of its sender. Returns undefined — nothing to wait
   * for — when the project is known to have no opt-outs, or for an opt-out confirmation reply.
   */
  check(projectId: string, from: string, to: string, numberGroupId: string | null, input: SendInput): Promise<void> | undefined {
    if (input.optOutReply === true) return undefined;
    const any = this.known.peek(projectId);
    if (any === false) return undefined;
    return this.lookup(projectId, from, to, numberGroupId, any === true);
  }

  private async lookup(projectId: string, from: string, to: string, numberGroupId: string | null, any: boolean): Promise<void> {
    if (!any) {
      const read = await this.known.read(projectId);
      // A change heard meanwhile may be an opt-out: look it up rather than trust the count.
      any = read.current ? read.value : true;
      if (!any) return;
    }
    if (await this.deps.repository.blocks(projectId, to, from, numberGroupId)) {
      throw AppError.of('TO_OPTED_OUT', { message: `The 'To' number ${to} has opted out of messages from ${numberGroupId ?? from} (it replied STOP); nothing was sent. It opts back in by replying START.` });
    }
  }

  /**
   * A handset's message to one of the project's numbers: apply its keyword, if it is one, and
   * return the reply to send once the inbound message is stored (undefined: none). Recorded
   * before the message is stored, so a failure leaves the carrier to deliver it again.
   */
  inbound(projectId: string, number: string, handset: string, body: string): Promise<SendInput | undefined> {
    const k = keywordAction(body);
    if (!k) return Promise.resolve(undefined);
    // One handset's keywords apply in the order they came: a STOP and the START right after it
    // (an SMSC hands several over at once) race otherwise, and the START's delete may run before
    // the STOP's insert, leaving opted out a handset whose last word was START.
    const key = `${projectId}\u0000${handset}`;
    const run = (this.applying.get(key) ?? Promise.resolve()).then(() => this.apply(projectId, number, handset, k));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.applying.set(key, settled);
    void settled.then(() => {
      if (this.applying.get(key) === settled) this.applying.delete(key);
    });
    return run;
  }

  private async apply(projectId: string, number: string, handset: string, k: { readonly action: KeywordAction; readonly keyword: string }): Promise<SendInput | undefined> {
    const groups = await this.deps.repository.groupsOf(projectId, number);
    if (k.action === 'stop') {
      const at = this.deps.clock.now();
      // The number's groups, and the number itself: it was told STOP, and still refuses the
      // handset if it leaves the groups (which do not, then, answer for it any more).
      const senders = [number, ...groups];
      await this.add(projectId, senders.map((sender): OptOutRecord => ({ id: this.deps.ids.uuid(), projectId, sender, handset, keyword: k.keyword, createdAt: at })));
    } else if (k.action === 'start') {
      // The number and its groups, and with the groups what a STOP to another member listed for it.
      await this.remove(projectId, handset, [number, ...groups]);
    } else if (await this.deps.repository.blocks(projectId, handset, number, null)) {
      // No help text to a handset that opted out (it gets only what it asks to stop or start).
      return undefined;
    }
    const replyKey = (action: KeywordAction) => `${projectId}\u0000${number}\u0000${handset}\u0000${action}`;
    // A STOP or START reverses the one before it: the next of that one is no repeat, and is
    // confirmed at once (STOP, START, STOP within a minute must not end on "re-subscribed").
    if (k.action !== 'help') this.replied.delete(replyKey(k.action === 'stop' ? 'start' : 'stop'));
    const s = effectiveSettings(await this.deps.settings.own(projectId), [number, ...groups]);
    if (!s.replies) return undefined;
    const text = k.action === 'stop' ? s.stopReply : k.action === 'start' ? s.startReply : s.helpReply;
    if (!text || !this.mayReply(replyKey(k.action))) return undefined;
    return { to: handset, from: number, body: text, media: undefined, callbackFormat: 'json', origin: 'reply', tags: [`opt-out:${k.action}`], optOutReply: k.action !== 'help' };
  }

  /** Whether the keyword `key` names may be answered now (`KEYWORD_REPLY_EVERY_MS`); if so, it is answered now. */
  private mayReply(key: string): boolean {
    const now = this.deps.clock.now();
    const last = this.replied.get(key);
    if (last !== undefined && now - last < KEYWORD_REPLY_EVERY_MS) return false;
    this.replied.delete(key);
    this.replied.set(key, now);
    if (this.replied.size > this.maxEntries) this.replied.delete(this.replied.keys().next().value!);
    return true;
  }

  /** Put handsets on senders' lists, however many the project has: what a handset asked for is always recorded. */
  async add(projectId: string, rows: readonly OptOutRecord[]): Promise<void> {
    await this.deps.repository.add(rows);
    this.added(projectId);
  }

  private added(projectId: string): void {
    this.deps.bus.publish('opt_outs.changed', { projectId });
    this.known.set(projectId, true);
  }

  /**
   * Put one handset on one sender's list through the API; one already listed keeps its first entry,
   * which is returned. A new one is refused once the project has `maxOptOuts` (`OPT_OUT_LIMIT_REACHED`).
   */
  async addOne(projectId: string, sender: string, handset: string): Promise<OptOutRecord> {
    const max = this.deps.maxOptOuts ?? Infinity;
    const entry: OptOutRecord = { id: this.deps.ids.uuid(), projectId, sender, handset, keyword: null, createdAt: this.deps.clock.now() };
    if (!(await this.deps.repository.add([entry], max))) {
      throw AppError.of('OPT_OUT_LIMIT_REACHED', { message: `This project's opt-out lists already hold ${max} entries or more, the most the API may add to; remove one first. Handsets that text STOP are still listed.` });
    }
    this.added(projectId);
    const [row] = await this.deps.repository.list(projectId, { sender, handset }, { limit: 1 });
    // Removed by another request since the add (a DELETE racing it): the add happened, so it is
    // answered with the entry it made, as if the removal had come just after the answer.
    if (!row) return entry;
    const { seq: _seq, ...record } = row;
    return record;
  }

  /** Take a handset off senders' lists; returns how many entries went. */
  async remove(projectId: string, handset: string, senders: readonly string[]): Promise<number> {
    const n = await this.deps.repository.remove(projectId, handset, senders);
    if (n) this.deps.bus.publish('opt_outs.changed', { projectId });
    return n;
  }

  /** Take one entry off; a group's takes what keywords listed for its members with it, as `remove`. */
  async removeById(projectId: string, id: string): Promise<boolean> {
    const entry = await this.deps.repository.get(projectId, id);
    if (!entry) return false;
    return (await this.remove(projectId, entry.handset, [entry.sender])) > 0;
  }

  /** The project's opt-out list, newest first (the native list API). */
  list(projectId: string, filter: { readonly sender?: string; readonly handset?: string }, page: SeqPage): Promise<Array<OptOutRecord & { seq: number }>> {
    return this.deps.repository.list(projectId, filter, page);
  }

  seqOf(projectId: string, id: string): Promise<number | undefined> {
    return this.deps.repository.seqOf(projectId, id);
  }

  get(projectId: string, id: string): Promise<OptOutRecord | undefined> {
    return this.deps.repository.get(projectId, id);
  }
}
