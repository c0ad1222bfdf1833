/**
 * The SMPP v3.4 PDUs a messaging gateway needs, as typed values, and the wire limits shared by the
 * decoder (`decode.ts`) and the encoder (`encode.ts`).
 */
import type { CommandName } from './constants.js';

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

/** Header size in octets. */
export const HEADER_SIZE = 16;

/** Longest C-Octet strings, NUL included (SMPP v3.4 §4). */
export const FIELD_MAX = {
  systemId: 16,
  password: 9,
  systemType: 13,
  addressRange: 41,
  serviceType: 6,
  address: 21,
  time: 17,
  messageId: 65,
} as const;
