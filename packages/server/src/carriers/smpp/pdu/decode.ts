/**
 * Decoding SMPP frames into typed PDUs. The decoder never throws: every malformed input becomes a
 * `DecodeFailure` naming the problem and, when the header was readable, the sequence number to
 * answer with (`refusalOf`). Field lengths are bounded by the specification, so nothing a peer
 * sends makes it allocate more than the frame it already holds.
 */
import { COMMAND_IDS, COMMAND_NAMES, STATUS, isResponseId, type CommandName } from './constants.js';
import { FIELD_MAX, HEADER_SIZE, type Address, type BindPdu, type Pdu, type QuerySmPdu, type QuerySmRespPdu, type Tlv } from './pdus.js';

/** The command_status of a C-string field longer than its maximum (v3.4 §5.1.3), by field. */
const TOO_LONG: Readonly<Record<string, number>> = {
  system_id: STATUS.ESME_RINVSYSID,
  password: STATUS.ESME_RINVPASWD,
  system_type: STATUS.ESME_RINVSYSTYP,
  service_type: STATUS.ESME_RINVSERTYP,
  source_addr: STATUS.ESME_RINVSRCADR,
  destination_addr: STATUS.ESME_RINVDSTADR,
  schedule_delivery_time: STATUS.ESME_RINVSCHED,
  validity_period: STATUS.ESME_RINVEXPIRY,
  message_id: STATUS.ESME_RINVMSGID,
};

/** Why a frame could not be decoded, with what of the header could be read. */
export interface DecodeFailure {
  readonly ok: false;
  readonly reason: string;
  /** command_status to answer with (in the request's own response, or generic_nack: `refusalOf`). */
  readonly status: number;
  readonly commandId?: number;
  readonly sequence?: number;
  /** The header's own command_status, when the header was readable (what the peer answered, for a response). */
  readonly commandStatus?: number;
  /** A submit_sm_resp's message_id, when it could be read though what follows could not. */
  readonly messageId?: string;
}

/** Result of decoding one frame. */
export type DecodeResult = { readonly ok: true; readonly pdu: Pdu } | DecodeFailure;

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

  /**
   * A NUL-terminated string that is the last field of the PDU, whose NUL a peer may leave out: the
   * rest of the frame is then the string (when it fits in `max` octets with its NUL).
   */
  lastCstring(field: string, max: number): string {
    if (this.buf.indexOf(0, this.offset) < 0 && this.remaining < max) {
      const s = this.buf.toString('latin1', this.offset);
      this.offset = this.buf.length;
      return s;
    }
    return this.cstring(field, max);
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
    // Too long (its maximum read, no NUL): that field is wrong; cut short by the frame's end: the length is.
    if (end - this.offset >= max) throw new DecodeError(`${field}: no terminating NUL within ${max} octets`, TOO_LONG[field] ?? STATUS.ESME_RINVCMDLEN);
    throw new DecodeError(`${field}: the frame ends before its terminating NUL`);
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
    return { ton, npi, addr: this.cstring(field, FIELD_MAX.address) };
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
  if (length !== frame.length) return { ok: false, reason: `command_length ${length} does not match the frame (${frame.length})`, status: STATUS.ESME_RINVCMDLEN, commandId, sequence, commandStatus: status };
  const command = COMMAND_NAMES.get(commandId);
  if (!command) return { ok: false, reason: `unknown command id 0x${commandId.toString(16)}`, status: STATUS.ESME_RINVCMDID, commandId, sequence, commandStatus: status };
  try {
    return { ok: true, pdu: decodeBody(command, frame, sequence, status) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: `${command}: ${err.message}`, status: err.status, commandId, sequence, commandStatus: status, ...leadingMessageId(command, frame) };
    return { ok: false, reason: `${command}: ${(err as Error).message}`, status: STATUS.ESME_RSYSERR, commandId, sequence, commandStatus: status };
  }
}

/** The message_id that opens a response whose later fields (TLVs) cannot be read. */
function leadingMessageId(command: CommandName, frame: Buffer): { messageId?: string } {
  // Only submit_sm is sent (data_sm only comes in), so only its answer is read this way.
  if (command !== 'submit_sm_resp') return {};
  try {
    return { messageId: new Reader(frame).cstring('message_id', FIELD_MAX.messageId) };
  } catch {
    return {};
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
        systemId: r.cstring('system_id', FIELD_MAX.systemId),
        password: r.cstring('password', FIELD_MAX.password),
        systemType: r.cstring('system_type', FIELD_MAX.systemType),
        interfaceVersion: r.u8('interface_version'),
        addrTon: r.u8('addr_ton'),
        addrNpi: r.u8('addr_npi'),
        addressRange: r.cstring('address_range', FIELD_MAX.addressRange),
      };
      r.end(command);
      return pdu;
    }
    case 'bind_receiver_resp':
    case 'bind_transmitter_resp':
    case 'bind_transceiver_resp':
      return { command, ...h, systemId: r.cstring('system_id', FIELD_MAX.systemId), tlvs: r.tlvs() };
    case 'unbind':
    case 'unbind_resp':
    case 'enquire_link':
    case 'enquire_link_resp':
    case 'generic_nack':
      r.end(command);
      return { command, ...h };
    case 'submit_sm':
    case 'deliver_sm': {
      const serviceType = r.cstring('service_type', FIELD_MAX.serviceType);
      const source = r.address('source_addr');
      const destination = r.address('destination_addr');
      const esmClass = r.u8('esm_class');
      const protocolId = r.u8('protocol_id');
      const priorityFlag = r.u8('priority_flag');
      const scheduleDeliveryTime = r.cstring('schedule_delivery_time', FIELD_MAX.time);
      const validityPeriod = r.cstring('validity_period', FIELD_MAX.time);
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
      const serviceType = r.cstring('service_type', FIELD_MAX.serviceType);
      const source = r.address('source_addr');
      const destination = r.address('destination_addr');
      return { command, ...h, serviceType, source, destination, esmClass: r.u8('esm_class'), registeredDelivery: r.u8('registered_delivery'), dataCoding: r.u8('data_coding'), tlvs: r.tlvs() };
    }
    case 'submit_sm_resp':
    case 'data_sm_resp':
    case 'deliver_sm_resp': {
      // deliver_sm_resp's message_id is unused and often absent entirely; an id at the very end of
      // the PDU without its NUL is still the SMSC's id (the submit was accepted under it).
      const messageId = r.remaining === 0 ? '' : r.lastCstring('message_id', FIELD_MAX.messageId);
      return { command, ...h, messageId, tlvs: r.tlvs() };
    }
    case 'query_sm': {
      const pdu: QuerySmPdu = { command, ...h, messageId: r.cstring('message_id', FIELD_MAX.messageId), source: r.address('source_addr') };
      r.end(command);
      return pdu;
    }
    case 'query_sm_resp': {
      const pdu: QuerySmRespPdu = {
        command,
        ...h,
        messageId: r.cstring('message_id', FIELD_MAX.messageId),
        finalDate: r.cstring('final_date', FIELD_MAX.time),
        messageState: r.u8('message_state'),
        errorCode: r.u8('error_code'),
      };
      r.end(command);
      return pdu;
    }
  }
}

/**
 * The answer to a request that could not be decoded: its own response with the failure's status
 * when it is one of the commands this side `takes` (SMPP v3.4 §4.3 keeps generic_nack for a header
 * it cannot read: an unknown command_id or a bad command_length); generic_nack ESME_RINVCMDID for
 * a command this side does not take (as when it can be read); generic_nack with the failure's
 * status otherwise. Undefined for a response, which is never answered.
 */
export function refusalOf(failure: DecodeFailure, takes: ReadonlySet<CommandName>): Pdu | undefined {
  const sequence = failure.sequence ?? 0;
  const status = failure.status;
  if (failure.commandId !== undefined && isResponseId(failure.commandId)) return undefined;
  const command = failure.commandId === undefined ? undefined : COMMAND_NAMES.get(failure.commandId);
  if (command && !takes.has(command)) return { command: 'generic_nack', sequence, status: STATUS.ESME_RINVCMDID };
  switch (command) {
    case 'bind_receiver':
    case 'bind_transmitter':
    case 'bind_transceiver':
      return { command: `${command}_resp`, sequence, status, systemId: '', tlvs: [] };
    case 'submit_sm':
    case 'deliver_sm':
    case 'data_sm':
      return { command: `${command}_resp`, sequence, status, messageId: '', tlvs: [] };
    case 'query_sm':
      return { command: 'query_sm_resp', sequence, status, messageId: '', finalDate: '', messageState: 0, errorCode: 0 };
    case 'unbind':
    case 'enquire_link':
      return { command: `${command}_resp`, sequence, status };
    default:
      return { command: 'generic_nack', sequence, status };
  }
}
