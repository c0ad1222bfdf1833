/**
 * Cuts a TCP byte stream into SMPP frames by `command_length`. Frames inside one read are handed
 * out as views (no copy); a frame split across reads is assembled once, when its last octet has
 * arrived (chunks are kept in a list until then, so a slow sender costs O(n), not O(n²)). A length
 * outside [16, maxFrame] is a framing error the session answers by closing: the stream cannot be
 * resynchronised, and nothing a peer announces makes this hold more than `maxFrame` octets.
 */
import { HEADER_SIZE } from './codec.js';

/** What `push` found: whole frames, and a fatal framing error if the stream is broken. */
export interface FramerOutput {
  readonly frames: Buffer[];
  readonly error?: string;
  /** With `error`: the bad header's sequence number, when its 16 octets had arrived (for the generic_nack). */
  readonly sequence?: number;
}

/** Largest PDU accepted by default: a 64 KiB message_payload plus headers. */
export const DEFAULT_MAX_FRAME = 70_000;

export class PduFramer {
  private chunks: Buffer[] = [];
  private held = 0;
  /** Length of the frame being assembled, 0 while its length is unknown. */
  private need = 0;
  private broken = false;

  constructor(private readonly maxFrame: number = DEFAULT_MAX_FRAME) {}

  /** Octets held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.held;
  }

  push(chunk: Buffer): FramerOutput {
    if (this.broken) return { frames: [], error: 'stream already broken' };
    if (this.held === 0) return this.scan(chunk);
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.need === 0 && this.held >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks, 4);
      this.need = head.readUInt32BE(0);
      if (this.need < HEADER_SIZE || this.need > this.maxFrame) return this.fail([], this.need, Buffer.concat(this.chunks, Math.min(this.held, HEADER_SIZE)));
    }
    if (this.need === 0 || this.held < this.need) return { frames: [] };
    const joined = Buffer.concat(this.chunks, this.held);
    this.chunks = [];
    this.held = 0;
    this.need = 0;
    return this.scan(joined);
  }

  private scan(buf: Buffer): FramerOutput {
    const frames: Buffer[] = [];
    let offset = 0;
    while (buf.length - offset >= 4) {
      const length = buf.readUInt32BE(offset);
      if (length < HEADER_SIZE || length > this.maxFrame) return this.fail(frames, length, buf.subarray(offset, offset + HEADER_SIZE));
      if (buf.length - offset < length) {
        this.need = length;
        break;
      }
      frames.push(buf.subarray(offset, offset + length));
      offset += length;
    }
    if (offset < buf.length) {
      // Copy the unfinished tail so the frames handed out do not pin it, and vice versa.
      const tail = Buffer.from(buf.subarray(offset));
      this.chunks = [tail];
      this.held = tail.length;
    }
    return { frames };
  }

  private fail(frames: Buffer[], length: number, head: Buffer): FramerOutput {
    this.broken = true;
    this.chunks = [];
    this.held = 0;
    const error = `command_length ${length} is outside ${HEADER_SIZE}..${this.maxFrame}`;
    return head.length >= HEADER_SIZE ? { frames, error, sequence: head.readUInt32BE(12) } : { frames, error };
  }
}
