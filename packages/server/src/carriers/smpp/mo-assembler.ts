/**
 * Mobile-originated messages from the SMSC: decoded, multipart ones reassembled from their
 * concatenation reference (UDH or SAR), then handed to the engine. A message whose parts stop
 * coming is delivered with what came after `moReassemblyMs`, or when the buffer is full, rather
 * than lost.
 */
import { createHash } from 'node:crypto';
import type { InboundMessage } from '../../domain/ports/carrier.js';
import { isStoreUnavailable, type MoPartGroup, type MoPartRecord } from '../../domain/ports/store.js';
import { Batcher } from '../../util/batcher.js';
import type { SmppContext } from './context.js';
import type { Address, DataSmPdu, ShortMessagePdu } from './pdu/codec.js';
import { STATUS } from './pdu/constants.js';
import { decodeInbound, type DecodedText } from './text.js';
import { warnLimited } from './warn-limited.js';

/** The parts of one multipart MO received so far. */
interface MoGroup {
  readonly first: number;
  readonly from: string;
  readonly to: string;
  readonly reference: number;
  readonly total: number;
  /** Read back from storage at start: a node that died after storing it may have stored its message. */
  readonly recovered?: true;
  texts: Array<string | undefined>;
  received: number;
  /** Characters of the parts held. */
  chars: number;
  /** Longer than `MAX_MO_MESSAGE_CHARS`: its parts were dropped, and the rest are refused until it would be complete or stale. */
  tooLong?: true;
}

/** MO parts buffered are bounded, in number and in characters (a part's message_payload may hold 64 KB). */
const MAX_MO_PARTS = 20_000;
export const MAX_MO_CHARS = 4_000_000;
/**
 * One multipart MO's text at most, in characters: a concatenated SMS has at most 255 parts (the
 * UDH's and SAR's one-octet total) of at most 160 GSM-7 characters (140 octets), 40,800; one
 * message_payload holds at most 65,535 octets. Past this an SMSC's parts (each may carry 64 KB of
 * message_payload: 255 of them, some 16 MB) are not a message a handset sent: dropped.
 */
export const MAX_MO_MESSAGE_CHARS = 65_535;

/** Multipart MOs remembered after they were delivered, to recognise parts the SMSC sends again. */
const MAX_DONE = 10_000;

/**
 * How long after storing an MO failed for want of storage (a full disk, the database out of reach)
 * parts that do not complete their message are answered ESME_RX_T_APPN rather than acknowledged and
 * held in memory, where a crash or a stop before storage came back would lose them (the SMSC, told
 * they were taken, never sends them again). Each MO that fails again meanwhile (one part, or the
 * last part of a message held) starts it again, and one stored ends it.
 */
export const DEFER_PARTS_AFTER_STORAGE_FAILURE_MS = 10_000;

/** Multipart MOs being reassembled, for one connector. */
export class MoAssembler {
  /** Insertion order is age order. */
  private readonly groups = new Map<string, MoGroup>();
  private parts = 0;
  private chars = 0;
  /**
   * Incomplete MOs handed to the engine in the background (to make room, stale, or superseded) and
   * not stored yet: their parts, and characters. Counted against the same bounds, since the
   * deliver_sm that made them were answered already: with storage slow, more parts are refused with
   * ESME_RX_T_APPN (the SMSC sends them again later) rather than held in memory without end.
   */
  private flushingParts = 0;
  private flushingChars = 0;
  /** Told once per connector: national numbers cannot be placed without `nationalCountryCode`. */
  private warnedNational = false;
  /**
   * Multipart MOs delivered in the last `moReassemblyMs`, by key (insertion order is age order): a
   * part the SMSC sends again (our deliver_sm_resp lost or late) is recognised by its text and
   * acknowledged, not buffered as the start of a new message delivered later as a fragment. Parts
   * are kept as digests: a part may hold 64 KB.
   */
  private readonly done = new Map<string, { at: number; digests: ReadonlyArray<string | undefined> }>();
  /** Multipart MOs whose whole text is being stored, by key: parts sent again meanwhile wait for the outcome. */
  private readonly storing = new Map<string, { digests: ReadonlyArray<string | undefined>; stored: Promise<boolean> }>();
  /** MOs being handled, by their PDU: what `answerLost` marks. */
  private readonly handling = new Map<ShortMessagePdu | DataSmPdu, { key: string; taken: Promise<boolean> }>();
  /** MOs whose answer a lost bind took with it, by key (insertion order is age order), and whether each was taken. */
  private readonly lost = new Map<string, { at: number; taken: Promise<boolean> }>();
  /** When storing an MO last failed for want of storage; null once one was stored since. */
  private storageFailedAt: number | null = null;
  /**
   * Parts kept in `mo_parts` before they are acknowledged, and messages whose parts are forgotten
   * once stored: parts that come together are written together, in order, one transaction a batch.
   */
  private readonly partWrites: Batcher<{ put: MoPartRecord } | { drop: MoPartGroup }, void>;
  /** Incomplete MOs being delivered in the background (`flushInBackground`). */
  private readonly background = new Set<Promise<void>>();
  /** The parts kept before this start, once read back (`recover`). */
  private loaded: Promise<void> | null = null;

  constructor(private readonly ctx: SmppContext) {
    this.partWrites = new Batcher((items) => this.writeParts(items).then(() => items.map(() => undefined)));
  }

  /**
   * Read back the parts kept before a restart (a kill -9 included): their messages are reassembled
   * with the parts the SMSC sends after it, or delivered with what came after `moReassemblyMs` from
   * their first part, as before. Retried by the next part while it fails.
   */
  recover(): Promise<void> {
    // Read in an async function, so a store that throws at once fails the promise instead.
    this.loaded ??= (async () => this.ctx.deps.store.moParts.listForCarrier(this.ctx.config.id))().then(
      (rows) => this.restore(rows),
      (err: unknown) => {
        this.loaded = null;
        throw err;
      },
    );
    return this.loaded;
  }

  private restore(rows: readonly MoPartRecord[]): void {
    for (const r of rows) {
      const key = `${r.from}\u0000${r.to}\u0000${r.reference}\u0000${r.total}`;
      let g = this.groups.get(key);
      if (g && g.first !== r.firstAt) {
        // Two messages with one reference, both kept: the older goes out with what it has.
        this.flushInBackground(key);
        g = undefined;
      }
      if (!g) {
        g = { first: r.firstAt, from: r.from, to: r.to, reference: r.reference, total: r.total, recovered: true, texts: new Array<string | undefined>(r.total).fill(undefined), received: 0, chars: 0 };
        this.groups.set(key, g);
      }
      if (r.seq < 1 || r.seq > g.total || g.texts[r.seq - 1] !== undefined) continue;
      g.texts[r.seq - 1] = r.text;
      g.received++;
      g.chars += r.text.length;
      this.parts++;
      this.chars += r.text.length;
    }
    if (rows.length) this.ctx.deps.logger.info({ carrier: this.ctx.config.id, parts: rows.length }, 'multipart MO parts kept before the restart read back');
    // The same bounds as parts received now: the oldest messages go out with what they have.
    for (const oldest of [...this.groups.keys()]) {
      if (this.parts <= MAX_MO_PARTS && this.chars <= MAX_MO_CHARS) break;
      this.flushInBackground(oldest);
    }
  }

  private writeParts(items: ReadonlyArray<{ put: MoPartRecord } | { drop: MoPartGroup }>): Promise<void> {
    return this.ctx.deps.store.transaction(async ({ moParts }) => {
      const puts: MoPartRecord[] = [];
      const drops: MoPartGroup[] = [];
      // In order: a part kept and its message dropped in one batch leave nothing behind.
      for (const item of items) {
        if ('put' in item) {
          if (drops.length) await moParts.deleteGroups(drops.splice(0));
          puts.push(item.put);
        } else {
          if (puts.length) await moParts.insertMany(puts.splice(0));
          drops.push(item.drop);
        }
      }
      if (puts.length) await moParts.insertMany(puts);
      if (drops.length) await moParts.deleteGroups(drops);
    });
  }

  /** Forget the parts kept for `g` (stored, or dropped); a failure leaves them for the next start, where the dedupe below finds the message. */
  private forget(g: MoGroup): void {
    const group: MoPartGroup = { carrier: this.ctx.config.id, from: g.from, to: g.to, reference: g.reference, total: g.total, firstAt: g.first };
    this.partWrites.add({ drop: group }).catch((err: unknown) => this.ctx.deps.logger.warn({ err, carrier: this.ctx.config.id }, 'forgetting the kept parts of a multipart MO failed; read back at the next start'));
  }

  /** An MO deliver_sm or data_sm arrived; resolves with the command_status to answer. */
  async onMo(pdu: ShortMessagePdu | DataSmPdu): Promise<number> {
    this.ctx.counters.mo_received++;
    const decoded = decodeInbound(
      { shortMessage: pdu.command === 'deliver_sm' ? pdu.shortMessage : Buffer.alloc(0), dataCoding: pdu.dataCoding, esmClass: pdu.esmClass, tlvs: pdu.tlvs },
      this.ctx.config.gsmEncoding === 'gsm7-packed',
    );
    const from = inboundAddress(pdu.source, this.ctx.config);
    const to = inboundAddress(pdu.destination, this.ctx.config);
    if (!this.warnedNational && this.ctx.config.nationalCountryCode === null && (unplaced(pdu.source, from) || unplaced(pdu.destination, to))) {
      this.warnedNational = true;
      this.ctx.deps.logger.warn({ carrier: this.ctx.config.id, from, to }, 'MO with a national number (TON 2) and no nationalCountryCode: kept as it came; set nationalCountryCode to write it as E.164');
    }
    const c = decoded.concat;
    if (c) {
      try {
        await this.recover();
      } catch (err) {
        // The parts kept before the restart cannot be read: this one is not taken yet (the SMSC sends it again).
        if (isStoreUnavailable(err)) this.storageFailedAt = this.ctx.deps.now();
        this.ctx.counters.mo_deferred++;
        return STATUS.ESME_RX_T_APPN;
      }
    }
    const key = `${from}\u0000${to}\u0000${c ? `${c.reference}/${c.total}/${c.seq}` : ''}\u0000${digest(decoded.text)}`;
    const answer = this.receiveOnce(key, decoded, from, to);
    this.handling.set(pdu, { key, taken: answer.then((status) => status === STATUS.ESME_ROK, () => false) });
    try {
      return await answer;
    } finally {
      this.handling.delete(pdu);
    }
  }

  /**
   * The bind `pdu` came on ended while it was being handled: its answer is lost, and the SMSC sends
   * it again. That copy, when it comes within `moReassemblyMs` with the same addresses and text, is
   * acknowledged without being stored again once this one was taken (stored, or buffered as a part)
   * — one copy per lost answer, so a handset sending the same text once more is still a new message.
   */
  answerLost(pdu: ShortMessagePdu | DataSmPdu): void {
    const h = this.handling.get(pdu);
    if (!h) return;
    this.lost.delete(h.key);
    this.lost.set(h.key, { at: this.ctx.deps.now(), taken: h.taken });
    if (this.lost.size > MAX_DONE) this.lost.delete(this.lost.keys().next().value!);
  }

  /** `receive`, unless this is the SMSC sending again an MO whose answer a lost bind took with it, and which was taken (`answerLost`). */
  private async receiveOnce(key: string, decoded: DecodedText, from: string, to: string): Promise<number> {
    const lost = this.lost.get(key);
    if (lost) {
      this.lost.delete(key);
      if (await lost.taken) {
        this.ctx.counters.mo_duplicate_parts++;
        return STATUS.ESME_ROK;
      }
    }
    return this.receive(decoded, from, to);
  }

  private async receive(decoded: DecodedText, from: string, to: string): Promise<number> {
    if (!decoded.concat) {
      await this.deliver({ from, to, body: decoded.text, segments: 1 });
      return STATUS.ESME_ROK;
    }
    const { reference, total, seq } = decoded.concat;
    if (this.flushingParts > MAX_MO_PARTS || this.flushingChars > MAX_MO_CHARS) {
      this.ctx.counters.mo_deferred++;
      return STATUS.ESME_RX_T_APPN;
    }
    const key = `${from}\u0000${to}\u0000${reference}\u0000${total}`;
    // A part sent again while its message is being stored (the SMSC's answer timer ran out): the
    // store decides. Stored, it is a duplicate; failed, the message's parts are held again below.
    const storing = this.groups.has(key) ? undefined : this.storing.get(key);
    if (storing && storing.digests[seq - 1] === digest(decoded.text) && (await storing.stored)) {
      this.ctx.counters.mo_duplicate_parts++;
      return STATUS.ESME_ROK;
    }
    let group = this.groups.get(key);
    // A part resent after its message went out: hashed only when such a message is remembered.
    const done = group ? undefined : this.done.get(key);
    if (done && done.digests[seq - 1] === digest(decoded.text)) {
      this.ctx.counters.mo_duplicate_parts++;
      return STATUS.ESME_ROK;
    }
    const held = group?.texts[seq - 1];
    if (group && held !== undefined && held !== decoded.text) {
      // The reference was reused by a new message while the last one with it still missed parts:
      // that one goes out with what came, rather than the two being mixed.
      this.flushInBackground(key);
      group = undefined;
    } else if (held !== undefined) this.ctx.counters.mo_duplicate_parts++;
    if (group?.tooLong) return STATUS.ESME_RX_P_APPN;
    // Storage is failing: a part that does not complete its message is not taken (nothing stores it
    // before a crash could lose it); the SMSC sends it again later. One that completes a message held
    // is tried, and so finds out whether storage is back.
    if (group?.texts[seq - 1] === undefined && (group?.received ?? 0) + 1 < total && this.storageFailing()) {
      this.ctx.counters.mo_deferred++;
      return STATUS.ESME_RX_T_APPN;
    }
    if (!group) {
      group = { first: this.ctx.deps.now(), from, to, reference, total, texts: new Array<string | undefined>(total).fill(undefined), received: 0, chars: 0 };
      this.groups.set(key, group);
    }
    if (group.texts[seq - 1] === undefined) {
      if (group.chars + decoded.text.length > MAX_MO_MESSAGE_CHARS) {
        this.dropTooLong(group, seq);
        return STATUS.ESME_RX_P_APPN;
      }
      group.texts[seq - 1] = decoded.text;
      group.received++;
      group.chars += decoded.text.length;
      this.parts++;
      this.chars += decoded.text.length;
      // Kept in storage before it is acknowledged (the last part is stored with its whole message):
      // the SMSC does not send an acknowledged part again, and a crash would lose it from memory.
      if (group.received < group.total && !(await this.keep(key, group, seq, decoded.text))) {
        this.ctx.counters.mo_deferred++;
        return STATUS.ESME_RX_T_APPN;
      }
    }
    if (group.received === group.total && this.groups.get(key) === group) await this.flush(key, false);
    else {
      // Bounded memory: the oldest incomplete messages go out with what they have.
      for (const oldest of this.groups.keys()) {
        if (this.parts <= MAX_MO_PARTS && this.chars <= MAX_MO_CHARS) break;
        if (oldest !== key) this.flushInBackground(oldest);
      }
    }
    return STATUS.ESME_ROK;
  }

  /** Write part `seq` of `g` to `mo_parts`; false, and the part taken back out of `g`, when that fails. */
  private async keep(key: string, g: MoGroup, seq: number, text: string): Promise<boolean> {
    const now = this.ctx.deps.now();
    try {
      await this.partWrites.add({ put: { carrier: this.ctx.config.id, from: g.from, to: g.to, reference: g.reference, total: g.total, firstAt: g.first, seq, text, receivedAt: now } });
      return true;
    } catch (err) {
      if (isStoreUnavailable(err)) this.storageFailedAt = this.ctx.deps.now();
      this.ctx.deps.logger.warn({ err, carrier: this.ctx.config.id }, 'keeping a multipart MO part failed; answered ESME_RX_T_APPN');
      if (this.groups.get(key) === g && g.texts[seq - 1] === text) {
        g.texts[seq - 1] = undefined;
        g.received--;
        g.chars -= text.length;
        this.parts--;
        this.chars -= text.length;
        if (g.received === 0) this.groups.delete(key);
      }
      return false;
    }
  }

  /** Deliver the messages incomplete for longer than `moReassemblyMs` (called once a second). */
  flushStale(now: number): void {
    for (const map of [this.done, this.lost]) {
      for (const [key, d] of map) {
        if (now - d.at < this.ctx.config.moReassemblyMs) break;
        map.delete(key);
      }
    }
    for (const [key, g] of this.groups) {
      if (now - g.first < this.ctx.config.moReassemblyMs) break;
      this.flushInBackground(key);
    }
  }

  /** Deliver every buffered message as it is rather than drop it (at stop). */
  async flushAll(): Promise<void> {
    for (const key of [...this.groups.keys()]) await this.flush(key, true).catch(() => undefined);
    await Promise.all(this.background);
    await this.partWrites.drain();
  }

  /**
   * A part would take its message past `MAX_MO_MESSAGE_CHARS`: the parts held are dropped, this part
   * and the rest of the message are answered ESME_RX_P_APPN (permanent: not to be sent again) until
   * it is forgotten, `moReassemblyMs` after its first part (as an incomplete one would be delivered).
   */
  private dropTooLong(g: MoGroup, seq: number): void {
    this.ctx.counters.mo_too_long++;
    warnLimited(this.ctx, { carrier: this.ctx.config.id, from: g.from, to: g.to, total: g.total, seq, chars: g.chars, max: MAX_MO_MESSAGE_CHARS }, 'multipart MO longer than any a handset sends; dropped');
    this.parts -= g.received;
    this.chars -= g.chars;
    this.forget(g);
    g.tooLong = true;
    g.texts = [];
    g.chars = 0;
    g.received = 0;
  }

  private flushInBackground(key: string): void {
    const flushing = this.flush(key, true)
      .catch((err) => this.ctx.deps.logger.error({ err }, 'delivering an incomplete MO failed'))
      .finally(() => this.background.delete(flushing));
    this.background.add(flushing);
  }

  private async flush(key: string, incomplete: boolean): Promise<void> {
    const g = this.groups.get(key);
    if (!g) return;
    this.groups.delete(key);
    if (g.tooLong) return;
    this.parts -= g.received;
    this.chars -= g.chars;
    if (incomplete) {
      this.ctx.counters.mo_incomplete++;
      warnLimited(this.ctx, { carrier: this.ctx.config.id, from: g.from, to: g.to, received: g.received, total: g.total }, 'multipart MO incomplete; delivering the parts that came');
    }
    if (incomplete) {
      this.flushingParts += g.received;
      this.flushingChars += g.chars;
    }
    const digests = incomplete ? [] : g.texts.map((t) => t && digest(t));
    let stored: (ok: boolean) => void = () => undefined;
    if (!incomplete) this.storing.set(key, { digests, stored: new Promise<boolean>((resolve) => (stored = resolve)) });
    try {
      // Its id (the reference, count and first part's time) lets a copy read back after a restart
      // find the message a node stored before it died, and not store it again.
      await this.deliver({ from: g.from, to: g.to, body: g.texts.map((t) => t ?? '').join(''), segments: g.total, carrierMessageId: `concat:${g.reference}/${g.total}@${g.first}`, redelivery: g.recovered });
      this.forget(g);
    } catch (err) {
      // Not stored: the earlier parts were acknowledged, so they are kept for the SMSC's resend of
      // the last part, which was answered ESME_RX_T_APPN (an incomplete one is not resent: logged).
      if (!incomplete && !this.groups.has(key)) {
        this.groups.set(key, g);
        this.parts += g.received;
        this.chars += g.chars;
      }
      stored(false);
      throw err;
    } finally {
      if (this.storing.get(key)?.digests === digests) this.storing.delete(key);
      if (incomplete) {
        this.flushingParts -= g.received;
        this.flushingChars -= g.chars;
      }
    }
    if (!incomplete) {
      this.done.set(key, { at: this.ctx.deps.now(), digests });
      if (this.done.size > MAX_DONE) this.done.delete(this.done.keys().next().value!);
      stored(true);
    }
  }

  private storageFailing(): boolean {
    return this.storageFailedAt !== null && this.ctx.deps.now() - this.storageFailedAt < DEFER_PARTS_AFTER_STORAGE_FAILURE_MS;
  }

  private async deliver(m: { from: string; to: string; body: string; segments: number; carrierMessageId?: string; redelivery?: boolean }): Promise<void> {
    const sink = this.ctx.sink();
    if (!sink) throw new Error('not started');
    const message: InboundMessage = {
      from: m.from,
      to: m.to,
      body: m.body,
      media: [],
      segments: m.segments,
      carrier: this.ctx.config.id,
      receivedAt: this.ctx.deps.now(),
      ...(m.carrierMessageId === undefined ? {} : { carrierMessageId: m.carrierMessageId }),
      ...(m.redelivery ? { redelivery: true } : {}),
    };
    let result: { readonly routed: boolean } | undefined;
    try {
      [result] = await sink.inbound([message]);
      this.storageFailedAt = null;
    } catch (err) {
      if (isStoreUnavailable(err)) this.storageFailedAt = this.ctx.deps.now();
      throw err;
    }
    if (!result?.routed) {
      this.ctx.counters.mo_unrouted++;
      warnLimited(this.ctx, { carrier: this.ctx.config.id, to: m.to.slice(0, 32) }, 'MO for a number no project owns; dropped');
    }
  }
}

/** A national number (TON 2) `inboundAddress` kept as it came, for want of a country code. */
function unplaced(a: Address, read: string): boolean {
  return a.ton === 2 && !read.startsWith('+') && !SHORT_NUMBER.test(read) && /^\d+$/.test(read);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

/**
 * Country codes whose national numbers keep their leading 0 in E.164 (no trunk prefix to drop):
 * Italy's landlines (+39 06…) and San Marino's (+378 0549…), ITU-T E.164 national plans.
 */
const KEEPS_LEADING_ZERO: ReadonlySet<string> = new Set(['39', '378']);

/** Digits an SMSC may put on a handset's number without saying it is international. */
const SHORT_NUMBER = /^\d{1,8}$/;

/** How a connector reads numbers on MOs (`nationalCountryCode`, `unknownTon` in its config). */
export interface InboundNumbering {
  readonly nationalCountryCode: string | null;
  readonly unknownTon: 'international' | 'national';
}

/**
 * An SMPP address as we write numbers, so a handset has one key whatever the SMSC's habits (its
 * opt-outs are looked up by the E.164 number later sends go to). International numbers (TON 1, or
 * written with 00 or +) get their +. National ones — TON 2, or TON 0 that starts with a trunk 0 or
 * that `unknownTon` says is national — get `+nationalCountryCode` in place of their trunk prefix
 * (0, or NANP's 1) when that is configured. Other digits of TON 0 longer than a short code are read
 * as international written without the +. Short codes, alphanumerics, other TONs and national
 * numbers that cannot be placed (TON 2 with no country code configured: a + would make them another
 * country's number, and a reply would go to a stranger) stay as they came.
 */
export function inboundAddress(a: Address, n: InboundNumbering = { nationalCountryCode: null, unknownTon: 'international' }): string {
  const addr = a.addr.trim();
  if (/^\+\d+$/.test(addr)) return addr;
  if (/^00\d{6,}$/.test(addr)) return `+${addr.slice(2)}`;
  if (!/^\d+$/.test(addr)) return addr;
  if (a.ton === 1) return `+${addr}`;
  if ((a.ton !== 0 && a.ton !== 2) || SHORT_NUMBER.test(addr)) return addr;
  const cc = n.nationalCountryCode;
  const national = a.ton === 2 || addr.startsWith('0') || n.unknownTon === 'national';
  if (cc !== null && national) {
    const trunk = addr.startsWith('0') && !KEEPS_LEADING_ZERO.has(cc) ? '0' : cc === '1' && addr.length === 11 ? '1' : '';
    return `+${cc}${addr.slice(trunk.length)}`;
  }
  return a.ton === 2 || addr.startsWith('0') ? addr : `+${addr}`;
}
