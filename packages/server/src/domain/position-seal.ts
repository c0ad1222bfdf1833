/**
 * Sealed list positions for page tokens (engine/page-tokens.ts): a row's `seq` counts the rows of
 * every project, so a token shows it only sealed with a key the server keeps.
 *
 * Encode-then-encipher (Bellare & Rogaway, "Encode-then-encipher encryption", ASIACRYPT 2000): one
 * AES-256 block holding the position and 8 bytes that depend on the project and the list. The
 * token shows nothing but its own equality; one altered, made up, or taken from another project or
 * list fails to open (one chance in 2^64). node:crypto is computation here, as for ids and digests.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const SEALED = /^[A-Za-z0-9_-]{22}$/;

/** Seals and opens the positions of one list of one project. */
export interface PositionSeal {
  /** 22 characters of base64url. */
  seal(seq: number): string;
  /** The position sealed in `sealed` for this list, else undefined. */
  open(sealed: string): number | undefined;
}

/** A new random key (base64), for the first node that needs one. */
export function newSealKey(): string {
  return randomBytes(32).toString('base64');
}

function derive(master: Buffer, purpose: string): Buffer {
  return createHmac('sha256', master).update(`switchboard page tokens: ${purpose}`).digest();
}

function aes(key: Buffer, block: Buffer, encrypt: boolean): Buffer {
  const c = encrypt ? createCipheriv('aes-256-ecb', key, null) : createDecipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** The keys derived from a stored key (base64), for `positionSeal`. */
export interface SealKeys {
  readonly cipher: Buffer;
  readonly context: Buffer;
}

export function sealKeys(stored: string): SealKeys {
  const master = Buffer.from(stored, 'base64');
  return { cipher: derive(master, 'cipher'), context: derive(master, 'context') };
}

export function positionSeal(keys: SealKeys, projectId: string, list: string): PositionSeal {
  const check = createHmac('sha256', keys.context).update(`${projectId}\n${list}`).digest().subarray(0, 8);
  return {
    seal(seq) {
      const block = Buffer.alloc(16);
      block.writeBigUInt64BE(BigInt(seq), 0);
      check.copy(block, 8);
      return aes(keys.cipher, block, true).toString('base64url');
    },
    open(sealed) {
      if (!SEALED.test(sealed)) return undefined;
      const block = aes(keys.cipher, Buffer.from(sealed, 'base64url'), false);
      if (!timingSafeEqual(block.subarray(8), check)) return undefined;
      const seq = block.readBigUInt64BE(0);
      return seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : undefined;
    },
  };
}
