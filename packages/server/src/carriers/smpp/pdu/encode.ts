/** Encoding typed SMPP PDUs into frames. */
import { COMMAND_IDS } from './constants.js';
import { FIELD_MAX, HEADER_SIZE, type Address, type Pdu, type Tlv } from './pdus.js';

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
    return this.u8(a.ton).u8(a.npi).cstring(field, a.addr, FIELD_MAX.address);
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
      w.cstring('system_id', pdu.systemId, FIELD_MAX.systemId)
        .cstring('password', pdu.password, FIELD_MAX.password)
        .cstring('system_type', pdu.systemType, FIELD_MAX.systemType)
        .u8(pdu.interfaceVersion)
        .u8(pdu.addrTon)
        .u8(pdu.addrNpi)
        .cstring('address_range', pdu.addressRange, FIELD_MAX.addressRange);
      break;
    case 'bind_receiver_resp':
    case 'bind_transmitter_resp':
    case 'bind_transceiver_resp':
      w.cstring('system_id', pdu.systemId, FIELD_MAX.systemId).tlvs(pdu.tlvs);
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
      w.cstring('service_type', pdu.serviceType, FIELD_MAX.serviceType)
        .address('source_addr', pdu.source)
        .address('destination_addr', pdu.destination)
        .u8(pdu.esmClass)
        .u8(pdu.protocolId)
        .u8(pdu.priorityFlag)
        .cstring('schedule_delivery_time', pdu.scheduleDeliveryTime, FIELD_MAX.time)
        .cstring('validity_period', pdu.validityPeriod, FIELD_MAX.time)
        .u8(pdu.registeredDelivery)
        .u8(pdu.replaceIfPresent)
        .u8(pdu.dataCoding)
        .u8(pdu.smDefaultMsgId)
        .u8(pdu.shortMessage.length)
        .bytes(pdu.shortMessage)
        .tlvs(pdu.tlvs);
      break;
    case 'data_sm':
      w.cstring('service_type', pdu.serviceType, FIELD_MAX.serviceType)
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
      if (pdu.status === 0 || pdu.messageId !== '') w.cstring('message_id', pdu.messageId, FIELD_MAX.messageId).tlvs(pdu.tlvs);
      break;
    case 'query_sm':
      w.cstring('message_id', pdu.messageId, FIELD_MAX.messageId).address('source_addr', pdu.source);
      break;
    case 'query_sm_resp':
      w.cstring('message_id', pdu.messageId, FIELD_MAX.messageId).cstring('final_date', pdu.finalDate, FIELD_MAX.time).u8(pdu.messageState).u8(pdu.errorCode);
      break;
  }
  return w.finish(COMMAND_IDS[pdu.command], pdu.status, pdu.sequence);
}
