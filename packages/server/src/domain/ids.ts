import { randomFillSync } from 'node:crypto';

/** Generator of identifiers, injected so tests can make them predictable. */
export interface IdGenerator {
  /** A new UUID string. */
  uuid(): string;
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` has the shape of a UUID (any version, any case): ids that could exist. */
export function isUuid(text: string): boolean {
  return UUID_SHAPE.test(text);
}

/**
 * An id as it is stored: a UUID in lower case (a UUID is case-insensitive on input, RFC 9562 §4),
 * anything else as given. Project ids presented as credentials are read through this, so
 * `8A7C…:token` is the project `8a7c…` and the failed-login throttle counts one project, not one
 * per way of writing it.
 */
export function canonicalId(text: string): string {
  return isUuid(text) ? text.toLowerCase() : text;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL_SIZE = 16 * 256;

/**
 * Time-ordered UUIDs (version 7, RFC 9562): 48 bits of milliseconds and 74 random bits. Ordered
 * ids keep index inserts at the right edge of the B-tree, so a batch of new messages dirties a few
 * pages instead of one per row. Within a millisecond they are in no order: the 12 bits RFC 9562
 * allows for a counter are random too, because one generator serves every project and a counter
 * told a tenant how many ids others made between two of its own.
 */
export class TimeOrderedIds implements IdGenerator {
  private readonly pool = Buffer.alloc(POOL_SIZE);
  private offset = POOL_SIZE;

  constructor(private readonly now: () => number = Date.now) {}

  uuid(): string {
    const ms = this.now();
    if (this.offset + 16 > POOL_SIZE) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const r = this.pool;
    const o = this.offset;
    this.offset += 16;
    const hi = Math.floor(ms / 0x10000);
    const lo = ms % 0x10000;
    const t = hi.toString(16).padStart(8, '0') + HEX[lo >> 8]! + HEX[lo & 0xff]!;
    const a = (0x7000 | ((r[o + 8]! & 0x0f) << 8) | r[o + 9]!).toString(16);
    const v = ((r[o]! & 0x3f) | 0x80) * 256 + r[o + 1]!;
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-${a}-${v.toString(16)}-${HEX[r[o + 2]!]}${HEX[r[o + 3]!]}${HEX[r[o + 4]!]}${HEX[r[o + 5]!]}${HEX[r[o + 6]!]}${HEX[r[o + 7]!]}`;
  }
}

/** The default generator. */
export const randomIds: IdGenerator = new TimeOrderedIds();
