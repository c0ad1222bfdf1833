/**
 * Typed encode/decode of the SMPP v3.4 PDUs a messaging gateway needs. The decoder never throws:
 * every malformed input becomes a `DecodeFailure` naming the problem and, when the header was
 * readable, the sequence number to answer with `generic_nack`. Field lengths are bounded by the
 * specification, so nothing a peer sends makes it allocate more than the frame it already holds.
 */
import { COMMAND_IDS, COMMAND_NAMES, STATUS, isResponseId, type CommandName } from './constants.js';

/** One optional parameter: tag and raw value. */
export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
}

/** Fields every PDU has. */
export interface PduHeader {
  readonly sequence: number;
  /** command_status; 0 on requests. */
  readonly status: number;
}

/** bind_transmitter / bind_receiver / bind_transceiver. */
export interface BindPdu extends PduHeader {
  readonly command: 'bind_transmitter' | 'bind_receiver' | 'bind_transceiver';
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly interfaceVersion: number;
  readonly addrTon: number;
  readonly addrNpi: number;
  readonly addressRange: string;
}

/** The three bind responses. */
export interface BindRespPdu extends PduHeader {
  readonly command: 'bind_transmitter_resp' | 'bind_receiver_resp' | 'bind_transceiver_resp';
  readonly systemId: string;
  readonly tlvs: readonly Tlv[];
}

/** PDUs with no body. */
export interface EmptyPdu extends PduHeader {
  readonly command: 'unbind' | 'unbind_resp' | 'enquire_link' | 'enquire_link_resp' | 'generic_nack';
}

/** An address: type of number, numbering plan, digits. */
export interface Address {
  readonly ton: number;
  readonly npi: number;
  readonly addr: string;
}

/** submit_sm and deliver_sm share one body. */
export interface ShortMessagePdu extends PduHeader {
  readonly command: 'submit_sm' | 'deliver_sm';
  readonly serviceType: string;
  readonly source: Address;
  readonly destination: Address;
  readonly esmClass: number;
  readonly protocolId: number;
  readonly priorityFlag: number;
  readonly scheduleDeliveryTime: string;
  readonly validityPeriod: string;
  readonly registeredDelivery: number;
  readonly replaceIfPresent: number;
  readonly dataCoding: number;
  readonly smDefaultMsgId: number;
  /** Up to 254 octets; empty when the text travels in `message_payload`. */
  readonly shortMessage: Buffer;
  readonly tlvs: readonly Tlv[];
}

/** data_sm: addresses, flags and TLVs only. */
export interface DataSmPdu extends PduHeader {
  readonly command: 'data_sm';
  readonly serviceType: string;
  readonly source: Address;
  readonly destination: Address;
  readonly esmClass: number;
  readonly registeredDelivery: number;
  readonly dataCoding: number;
  readonly tlvs: readonly Tlv[];
}

/** submit_sm_resp / deliver_sm_resp / data_sm_resp: a message id (empty on errors and for deliver_sm_resp). */
export interface MessageIdRespPdu extends PduHeader {
  readonly command: 'submit_sm_resp' | 'deliver_sm_resp' | 'data_sm_resp';
  readonly messageId: string;
  readonly tlvs: readonly Tlv[];
}

/** query_sm: ask the SMSC about a message. */
export interface QuerySmPdu extends PduHeader {
  readonly command: 'query_sm';
  readonly messageId: string;
  readonly source: Address;
}

/** query_sm_resp. */
export interface QuerySmRespPdu extends PduHeader {
  readonly command: 'query_sm_resp';
  readonly messageId: string;
  readonly finalDate: string;
  readonly messageState: number;
  readonly errorCode: number;
}

/** Every PDU this codec reads and writes. */
export type Pdu = BindPdu | BindRespPdu | EmptyPdu | ShortMessagePdu | DataSmPdu | MessageIdRespPdu | QuerySmPdu | QuerySmRespPdu;

/** A PDU by its command name. */
export type PduOf<C extends CommandName> = Extract<Pdu, { command: C }>;

/** Why a frame could not be decoded, with what of the header could be read. */
export interface DecodeFailure {
  readonly ok: false;
  readonly reason: string;
  /** command_status to answer with (generic_nack). */
  readonly status: number;
  readonly commandId?: number;
  readonly sequence?: number;
}

/** Result of decoding one frame. */
export type DecodeResult = { readonly ok: true; readonly pdu: Pdu } | DecodeFailure;

/** Header size in octets. */
export const HEADER_SIZE = 16;

/** Longest C-Octet strings, NUL included (SMPP v3.4 §4). */
const MAX = {
  systemId: 16,
  password: 9,
  systemType: 13,
  addressRange: 41,
  serviceType: 6,
  address: 21,
  time: 17,
  messageId: 65,
} as const;

class DecodeError extends Error {
  constructor(
    message: string,
    readonly status: number = STATUS.ESME_RINVCMDLEN,
  ) {
    super(message);
  }
}

/** Bounds-checked reader over one frame. */
class Reader {
  offset = HEADER_SIZE;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  u8(field: string): number {
    if (this.offset + 1 > this.buf.length) throw new DecodeError(`${field}: frame ends early`);
    return this.buf[this.offset++]!;
  }

  /** NUL-terminated string of at most `max` octets including the NUL. */
  cstring(field: string, max: number): string {
    const end = Math.min(this.buf.length, this.offset + max);
    for (let i = this.offset; i < end; i++) {
      if (this.buf[i] === 0) {
        const s = this.buf.toString('latin1', this.offset, i);
        this.offset = i + 1;
        return s;
      }
    }
    throw new DecodeError(`${field}: no terminating NUL within ${max} octets`);
  }

  bytes(field: string, n: number): Buffer {
    if (this.offset + n > this.buf.length) throw new DecodeError(`${field}: ${n} octets announced, ${this.remaining} left`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  tlvs(): Tlv[] {
    const out: Tlv[] = [];
    while (this.remaining > 0) {
      if (this.remaining < 4) throw new DecodeError('optional parameter header is cut short', STATUS.ESME_RINVOPTPARSTREAM);
      const tag = this.buf.readUInt16BE(this.offset);
      const len = this.buf.readUInt16BE(this.offset + 2);
      this.offset += 4;
      if (len > this.remaining) throw new DecodeError(`optional parameter 0x${tag.toString(16)} announces ${len} octets, ${this.remaining} left`, STATUS.ESME_RINVOPTPARSTREAM);
      // Copy TLV values out of the frame so a retained TLV does not pin the whole read buffer.
      out.push({ tag, value: Buffer.from(this.buf.subarray(this.offset, this.offset + len)) });
      this.offset += len;
    }
    return out;
  }

  address(field: string): Address {
    const ton = this.u8(`${field}_ton`);
    const npi = this.u8(`${field}_npi`);
    return { ton, npi, addr: this.cstring(field, MAX.address) };
  }

  end(command: string): void {
    if (this.remaining !== 0) throw new DecodeError(`${command}: ${this.remaining} unexpected octets after the body`);
  }
}

/**
 * Decode one whole frame (`command_length` octets, as a framer hands them). Never throws.
 * Responses with a non-zero status may have an empty body, as the specification allows.
 */
export function decodePdu(frame: Buffer): DecodeResult {
  if (frame.length < HEADER_SIZE) return { ok: false, reason: `frame of ${frame.length} octets is shorter than a header`, status: STATUS.ESME_RINVCMDLEN };
  const length = frame.readUInt32BE(0);
  const commandId = frame.readUInt32BE(4);
  const status = frame.readUInt32BE(8);
  const sequence = frame.readUInt32BE(12);
  if (length !== frame.length) return { ok: false, reason: `command_length ${length} does not match the frame (${frame.length})`, status: STATUS.ESME_RINVCMDLEN, commandId, sequence };
  const command = COMMAND_NAMES.get(commandId);
  if (!command) return { ok: false, reason: `unknown command id 0x${commandId.toString(16)}`, status: STATUS.ESME_RINVCMDID, commandId, sequence };
  try {
    return { ok: true, pdu: decodeBody(command, frame, sequence, status) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: `${command}: ${err.message}`, status: err.status, commandId, sequence };
    return { ok: false, reason: `${command}: ${(err as Error).message}`, status: STATUS.ESME_RSYSERR, commandId, sequence };
  }
}

function decodeBody(command: CommandName, frame: Buffer, sequence: number, status: number): Pdu {
  const r = new Reader(frame);
  const h = { sequence, status };
  // An error response may carry no body at all.
  if (isResponseId(COMMAND_IDS[command]) && status !== 0 && r.remaining === 0) {
    switch (command) {
      case 'bind_receiver_resp':
      case 'bind_transmitter_resp':
      case 'bind_transceiver_resp':
        return { command, ...h, systemId: '', tlvs: [] };
      case 'submit_sm_resp':
      case 'deliver_sm_resp':
      case 'data_sm_resp':
        return { command, ...h, messageId: '', tlvs: [] };
      case 'query_sm_resp':
        return { command, ...h, messageId: '', finalDate: '', messageState: 0, errorCode: 0 };
      default:
        break;
    }
  }
  switch (command) {
    case 'bind_receiver':
    case 'bind_transmitter':
    case 'bind_transceiver': {
      const pdu: BindPdu = {
        command,
        ...h,
        systemId: r.cstring('system_id', MAX.systemId),
        password: r.cstring('password', MAX.password),
        systemType: r.cstring('system_type', MAX.systemType),
        interfaceVersion: r.u8('interface_version'),
        addrTon: r.u8('addr_ton'),
        addrNpi: r.u8('addr_npi'),
        addressRange: r.cstring('address_range', MAX.addressRange),
      };
      r.end(command);
      return pdu;
    }
    case 'bind_receiver_resp':
    case 'bind_transmitter_resp':
    case 'bind_transceiver_resp':
      return { command, ...h, systemId: r.cstring('system_id', MAX.systemId), tlvs: r.tlvs() };
    case 'unbind':
    case 'unbind_resp':
    case 'enquire_link':
    case 'enquire_link_resp':
    case 'generic_nack':
      r.end(command);
      return { command, ...h };
    case 'submit_sm':
    case 'deliver_sm': {
      const serviceType = r.cstring('service_type', MAX.serviceType);
      const source = r.address('source_addr');
      const destination = r.address('destination_addr');
      const esmClass = r.u8('esm_class');
      const protocolId = r.u8('protocol_id');
      const priorityFlag = r.u8('priority_flag');
      const scheduleDeliveryTime = r.cstring('schedule_delivery_time', MAX.time);
      const validityPeriod = r.cstring('validity_period', MAX.time);
      const registeredDelivery = r.u8('registered_delivery');
      const replaceIfPresent = r.u8('replace_if_present_flag');
      const dataCoding = r.u8('data_coding');
      const smDefaultMsgId = r.u8('sm_default_msg_id');
      const smLength = r.u8('sm_length');
      if (smLength > 254) throw new DecodeError(`sm_length ${smLength} is above 254`, STATUS.ESME_RINVMSGLEN);
      const shortMessage = Buffer.from(r.bytes('short_message', smLength));
      const tlvs = r.tlvs();
      return {
        command,
        ...h,
        serviceType,
        source,
        destination,
        esmClass,
        protocolId,
        priorityFlag,
        scheduleDeliveryTime,
        validityPeriod,
        registeredDelivery,
        replaceIfPresent,
        dataCoding,
        smDefaultMsgId,
        shortMessage,
        tlvs,
      };
    }
    case 'data_sm': {
      const serviceType = r.cstring('service_type', MAX.serviceType);
      const source = r.address('source_addr');
      const destination = r.address('destination_addr');
      return { command, ...h, serviceType, source, destination, esmClass: r.u8('esm_class'), registeredDelivery: r.u8('registered_delivery'), dataCoding: r.u8('data_coding'), tlvs: r.tlvs() };
    }
    case 'submit_sm_resp':
    case 'data_sm_resp':
    case 'deliver_sm_resp': {
      // deliver_sm_resp's message_id is unused and often absent entirely.
      const messageId = r.remaining === 0 ? '' : r.cstring('message_id', MAX.messageId);
      return { command, ...h, messageId, tlvs: r.tlvs() };
    }
    case 'query_sm': {
      const pdu: QuerySmPdu = { command, ...h, messageId: r.cstring('message_id', MAX.messageId), source: r.address('source_addr') };
      r.end(command);
      return pdu;
    }
    case 'query_sm_resp': {
      const pdu: QuerySmRespPdu = {
        command,
        ...h,
        messageId: r.cstring('message_id', MAX.messageId),
        finalDate: r.cstring('final_date', MAX.time),
        messageState: r.u8('message_state'),
        errorCode: r.u8('error_code'),
      };
      r.end(command);
      return pdu;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Thrown when asked to encode a value the wire cannot carry (a caller bug, not peer input). */
export class EncodeError extends Error {}

class Writer {
  private readonly parts: Array<Buffer | number> = [];
  size = HEADER_SIZE;

  u8(v: number): this {
    this.parts.push(v & 0xff);
    this.size += 1;
    return this;
  }

  cstring(field: string, v: string, max: number): this {
    const len = Buffer.byteLength(v, 'latin1');
    if (len + 1 > max) throw new EncodeError(`${field} is longer than ${max - 1} characters`);
    if (v.includes('\0')) throw new EncodeError(`${field} contains a NUL`);
    this.parts.push(Buffer.from(v, 'latin1'), 0);
    this.size += len + 1;
    return this;
  }

  bytes(v: Buffer): this {
    this.parts.push(v);
    this.size += v.length;
    return this;
  }

  address(field: string, a: Address): this {
    return this.u8(a.ton).u8(a.npi).cstring(field, a.addr, MAX.address);
  }

  tlvs(tlvs: readonly Tlv[]): this {
    for (const t of tlvs) {
      if (t.value.length > 0xffff) throw new EncodeError(`optional parameter 0x${t.tag.toString(16)} is longer than 65535 octets`);
      const head = Buffer.allocUnsafe(4);
      head.writeUInt16BE(t.tag, 0);
      head.writeUInt16BE(t.value.length, 2);
      this.parts.push(head, t.value);
      this.size += 4 + t.value.length;
    }
    return this;
  }

  finish(commandId: number, status: number, sequence: number): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    out.writeUInt32BE(this.size, 0);
    out.writeUInt32BE(commandId >>> 0, 4);
    out.writeUInt32BE(status >>> 0, 8);
    out.writeUInt32BE(sequence >>> 0, 12);
    let o = HEADER_SIZE;
    for (const p of this.parts) {
      if (typeof p === 'number') out[o++] = p;
      else {
        p.copy(out, o);
        o += p.length;
      }
    }
    return out;
  }
}

/** Encode a PDU into one frame. Throws `EncodeError` for values the wire cannot carry. */
export function encodePdu(pdu: Pdu): Buffer {
  const w = new Writer();
  switch (pdu.command) {
    case 'bind_receiver':
    case 'bind_transmitter':
    case 'bind_transceiver':
      w.cstring('system_id', pdu.systemId, MAX.systemId)
        .cstring('password', pdu.password, MAX.password)
        .cstring('system_type', pdu.systemType, MAX.systemType)
        .u8(pdu.interfaceVersion)
        .u8(pdu.addrTon)
        .u8(pdu.addrNpi)
        .cstring('address_range', pdu.addressRange, MAX.addressRange);
      break;
    case 'bind_receiver_resp':
    case 'bind_transmitter_resp':
    case 'bind_transceiver_resp':
      w.cstring('system_id', pdu.systemId, MAX.systemId).tlvs(pdu.tlvs);
      break;
    case 'unbind':
    case 'unbind_resp':
    case 'enquire_link':
    case 'enquire_link_resp':
    case 'generic_nack':
      break;
    case 'submit_sm':
    case 'deliver_sm':
      if (pdu.shortMessage.length > 254) throw new EncodeError('short_message is longer than 254 octets');
      w.cstring('service_type', pdu.serviceType, MAX.serviceType)
        .address('source_addr', pdu.source)
        .address('destination_addr', pdu.destination)
        .u8(pdu.esmClass)
        .u8(pdu.protocolId)
        .u8(pdu.priorityFlag)
        .cstring('schedule_delivery_time', pdu.scheduleDeliveryTime, MAX.time)
        .cstring('validity_period', pdu.validityPeriod, MAX.time)
        .u8(pdu.registeredDelivery)
        .u8(pdu.replaceIfPresent)
        .u8(pdu.dataCoding)
        .u8(pdu.smDefaultMsgId)
        .u8(pdu.shortMessage.length)
        .bytes(pdu.shortMessage)
        .tlvs(pdu.tlvs);
      break;
    case 'data_sm':
      w.cstring('service_type', pdu.serviceType, MAX.serviceType)
        .address('source_addr', pdu.source)
        .address('destination_addr', pdu.destination)
        .u8(pdu.esmClass)
        .u8(pdu.registeredDelivery)
        .u8(pdu.dataCoding)
        .tlvs(pdu.tlvs);
      break;
    case 'submit_sm_resp':
    case 'data_sm_resp':
    case 'deliver_sm_resp':
      // Error responses carry no body (v3.4 §4.4.2).
      if (pdu.status === 0 || pdu.messageId !== '') w.cstring('message_id', pdu.messageId, MAX.messageId).tlvs(pdu.tlvs);
      break;
    case 'query_sm':
      w.cstring('message_id', pdu.messageId, MAX.messageId).address('source_addr', pdu.source);
      break;
    case 'query_sm_resp':
      w.cstring('message_id', pdu.messageId, MAX.messageId).cstring('final_date', pdu.finalDate, MAX.time).u8(pdu.messageState).u8(pdu.errorCode);
      break;
  }
  return w.finish(COMMAND_IDS[pdu.command], pdu.status, pdu.sequence);
}

// ---------------------------------------------------------------------------------------------
// TLV helpers
// ---------------------------------------------------------------------------------------------

/** The first TLV with a tag. */
export function findTlv(tlvs: readonly Tlv[], tag: number): Buffer | undefined {
  for (const t of tlvs) if (t.tag === tag) return t.value;
  return undefined;
}

/** An unsigned integer TLV of 1, 2 or 4 octets; undefined when absent or of another size. */
export function tlvInt(tlvs: readonly Tlv[], tag: number): number | undefined {
  const v = findTlv(tlvs, tag);
  if (!v) return undefined;
  if (v.length === 1) return v[0]!;
  if (v.length === 2) return v.readUInt16BE(0);
  if (v.length === 4) return v.readUInt32BE(0);
  return undefined;
}

/** A C-Octet string TLV (NUL optional); undefined when absent. */
export function tlvString(tlvs: readonly Tlv[], tag: number): string | undefined {
  const v = findTlv(tlvs, tag);
  if (!v) return undefined;
  const nul = v.indexOf(0);
  return v.toString('latin1', 0, nul < 0 ? v.length : nul);
}

/** Build an integer TLV of `size` octets. */
export function intTlv(tag: number, value: number, size: 1 | 2 | 4): Tlv {
  const b = Buffer.alloc(size);
  if (size === 1) b[0] = value;
  else if (size === 2) b.writeUInt16BE(value, 0);
  else b.writeUInt32BE(value >>> 0, 0);
  return { tag, value: b };
}

/** Build a C-Octet string TLV (NUL-terminated). */
export function stringTlv(tag: number, value: string): Tlv {
  return { tag, value: Buffer.concat([Buffer.from(value, 'latin1'), Buffer.from([0])]) };
}
