/**
 * SMPP v3.4 numbers: command ids, command_status values, TLV tags, esm_class bits and data codings.
 * Only what a messaging gateway uses; names follow the specification.
 */

/** Command ids by name (responses have bit 31 set). */
export const COMMAND_IDS = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const;

/** A command this codec knows. */
export type CommandName = keyof typeof COMMAND_IDS;

/** Command name by id. */
export const COMMAND_NAMES: ReadonlyMap<number, CommandName> = new Map(Object.entries(COMMAND_IDS).map(([k, v]) => [v, k as CommandName]));

/** True when a command id is a response (bit 31). */
export function isResponseId(id: number): boolean {
  return (id & 0x80000000) !== 0;
}

/** command_status values (SMPP v3.4 §5.1.3) used by the connector and the simulator's SMSC. */
export const STATUS = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RALYBND: 0x05,
  ESME_RINVPRTFLG: 0x06,
  ESME_RINVREGDLVFLG: 0x07,
  ESME_RSYSERR: 0x08,
  ESME_RINVSRCADR: 0x0a,
  ESME_RINVDSTADR: 0x0b,
  ESME_RINVMSGID: 0x0c,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RMSGQFUL: 0x14,
  ESME_RINVSERTYP: 0x15,
  ESME_RINVESMCLASS: 0x43,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RINVSRCTON: 0x48,
  ESME_RINVSRCNPI: 0x49,
  ESME_RINVDSTTON: 0x50,
  ESME_RINVDSTNPI: 0x51,
  ESME_RINVSYSTYP: 0x53,
  ESME_RTHROTTLED: 0x58,
  ESME_RINVSCHED: 0x61,
  ESME_RINVEXPIRY: 0x62,
  ESME_RX_T_APPN: 0x64,
  ESME_RX_P_APPN: 0x65,
  ESME_RX_R_APPN: 0x66,
  ESME_RQUERYFAIL: 0x67,
  ESME_RINVOPTPARSTREAM: 0xc0,
  ESME_ROPTPARNOTALLWD: 0xc1,
  ESME_RINVPARLEN: 0xc2,
  ESME_RMISSINGOPTPARAM: 0xc3,
  ESME_RINVOPTPARAMVAL: 0xc4,
  ESME_RDELIVERYFAILURE: 0xfe,
  ESME_RUNKNOWNERR: 0xff,
  /** Invalid data coding scheme: SMPP v5.0's (§4.7.6), which SMSCs speaking v3.4 answer too (v3.4 has none of its own). */
  ESME_RINVDCS: 0x104,
} as const;

const STATUS_NAMES = new Map<number, string>(Object.entries(STATUS).map(([k, v]) => [v, k]));

/** `ESME_RTHROTTLED (0x00000058)`, or the hex value for vendor codes. */
export function statusName(status: number): string {
  const hex = `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
  const name = STATUS_NAMES.get(status);
  return name ? `${name} (${hex})` : hex;
}

/** TLV tags (SMPP v3.4 §5.3.2) the gateway reads or writes. */
export const TLV = {
  dest_addr_subunit: 0x0005,
  receipted_message_id: 0x001e,
  user_message_reference: 0x0204,
  source_port: 0x020a,
  destination_port: 0x020b,
  sar_msg_ref_num: 0x020c,
  sar_total_segments: 0x020e,
  sar_segment_seqnum: 0x020f,
  sc_interface_version: 0x0210,
  network_error_code: 0x0423,
  message_payload: 0x0424,
  delivery_failure_reason: 0x0425,
  message_state: 0x0427,
} as const;

/** esm_class bits. */
export const ESM_CLASS = {
  /** Message type mask (bits 5..2). */
  TYPE_MASK: 0x3c,
  /** deliver_sm carrying an SMSC delivery receipt. */
  DELIVERY_RECEIPT: 0x04,
  /** Intermediate delivery notification. */
  INTERMEDIATE: 0x20,
  /** SME delivery acknowledgement (from the recipient's application, not a message of the user's). */
  SME_DELIVERY_ACK: 0x08,
  /** short_message starts with a User Data Header. */
  UDHI: 0x40,
} as const;

/** data_coding values the gateway sends or understands. */
export const DATA_CODING = {
  /** SMSC default alphabet: GSM 03.38 for every SMSC we know. */
  DEFAULT: 0x00,
  IA5: 0x01,
  BINARY: 0x02,
  LATIN1: 0x03,
  BINARY_8BIT: 0x04,
  UCS2: 0x08,
} as const;

/** message_state values (SMPP v3.4 §5.2.28), as receipts report them. */
export const MESSAGE_STATE = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const;

/** interface_version we announce. */
export const INTERFACE_VERSION_34 = 0x34;
