/**
 * Page tokens that name a position in a list, not a record.
 *
 * A token naming the record that ended a page (`PA<id>`) leaves the next page to the record: once
 * it is deleted (the usual clean-up `client.applications.each(a => a.remove())` deletes every
 * record of a page before asking for the next) the position was lost and the next page refused.
 * A token now carries the position itself, the row's `seq`, sealed (domain/position-seal.ts) with
 * a key only the server knows, kept in `server_keys` so every node sharing the database opens the
 * tokens of the others. Tokens naming a record by id (issued before) still work while it exists.
 */
import type { Clock } from '../domain/clock.js';
import type { ServerKeyRepository } from '../domain/ports/store.js';
import { newSealKey, positionSeal, sealKeys, type PositionSeal, type SealKeys } from '../domain/position-seal.js';

const KEY_NAME = 'page-tokens';

/** What a page token names: a sealed position, or (tokens issued before) a record by id. */
export type PageTokenTarget = { readonly sealed: string } | { readonly id: string };

/** One list of one project, as its page tokens see it. */
export interface PagedList {
  /** The sealed form of a position, for the next and previous page links. */
  seal(seq: number): string;
  /** The position a token names; undefined when it names none of this list. */
  positionOf(target: PageTokenTarget): Promise<number | undefined>;
}

export class PageTokens {
  private keys: Promise<SealKeys> | null = null;

  constructor(private readonly deps: { readonly keys: ServerKeyRepository; readonly clock: Clock }) {}

  /**
   * The list `list` (a table, with its parent for nested lists: `media:<message id>`) of
   * `projectId`; `seqOf` finds the position of a record still there by id.
   */
  async list(projectId: string, list: string, seqOf: (id: string) => Promise<number | undefined>): Promise<PagedList> {
    const keys = await this.loadKeys();
    // Derived on first use: most pages link nowhere (one page of results, or the accounts list).
    let derived: PositionSeal | undefined;
    const seal = () => (derived ??= positionSeal(keys, projectId, list));
    return {
      seal: (seq) => seal().seal(seq),
      positionOf: async (target) => ('id' in target ? seqOf(target.id) : seal().open(target.sealed)),
    };
  }

  /**
   * Read the key, or create it: done at start, with the other startup writes, so that lists never
   * write. Made by the first list instead, every list answered 503 on a node whose storage stopped
   * taking writes (a full disk, a read-only standby) before anyone had listed.
   */
  async prepare(): Promise<void> {
    await this.loadKeys();
  }

  /** The keys the tokens are sealed with, for other positions shown sealed (http/sealed-positions.ts). */
  sealKeys(): Promise<SealKeys> {
    return this.loadKeys();
  }

  private loadKeys(): Promise<SealKeys> {
    this.keys ??= this.deps.keys.getOrCreate(KEY_NAME, newSealKey(), this.deps.clock.now()).then(sealKeys, (err: unknown) => {
      // Storage did not answer: the next request asks again.
      this.keys = null;
      throw err;
    });
    return this.keys;
  }
}
