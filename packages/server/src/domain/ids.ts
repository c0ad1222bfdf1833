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

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL_SIZE = 16 * 256;

/**
 * Time-ordered UUIDs (version 7, RFC 9562): 48 bits of milliseconds, a 12-bit counter that keeps
 * ids of the same millisecond in order, and 62 random bits. Ordered ids keep index inserts at the
 * right edge of the B-tree, so a batch of new messages dirties a few pages instead of one per row.
 */
export class TimeOrderedIds implements IdGenerator {
  private readonly pool = Buffer.alloc(POOL_SIZE);
  private offset = POOL_SIZE;
  private lastMs = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  uuid(): string {
    let ms = this.now();
    if (ms <= this.lastMs) {
      // Same (or a backwards) millisecond: count up; on overflow borrow the next millisecond.
      ms = this.lastMs;
      if (++this.counter > 0xfff) {
        ms = ++this.lastMs;
        this.counter = 0;
      }
    } else {
      this.lastMs = ms;
      this.counter = 0;
    }
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
    const a = (0x7000 | this.counter).toString(16);
    const v = ((r[o]! & 0x3f) | 0x80) * 256 + r[o + 1]!;
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-${a}-${v.toString(16)}-${HEX[r[o + 2]!]}${HEX[r[o + 3]!]}${HEX[r[o + 4]!]}${HEX[r[o + 5]!]}${HEX[r[o + 6]!]}${HEX[r[o + 7]!]}`;
  }
}

/** The default generator. */
export const randomIds: IdGenerator = new TimeOrderedIds();
