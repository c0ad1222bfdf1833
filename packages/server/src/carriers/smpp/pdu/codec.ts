/**
 * Typed encode/decode of the SMPP v3.4 PDUs a messaging gateway needs: the one module the rest of
 * the code imports. The PDU types live in `pdus.ts`, the decoder (which never throws) in
 * `decode.ts`, the encoder in `encode.ts` and the TLV helpers in `tlv.ts`.
 */
export type {
  Address,
  BindPdu,
  BindRespPdu,
  DataSmPdu,
  EmptyPdu,
  MessageIdRespPdu,
  Pdu,
  PduHeader,
  PduOf,
  QuerySmPdu,
  QuerySmRespPdu,
  ShortMessagePdu,
  Tlv,
} from './pdus.js';
export { HEADER_SIZE } from './pdus.js';
export { decodePdu, refusalOf, type DecodeFailure, type DecodeResult } from './decode.js';
export { EncodeError, encodePdu } from './encode.js';
export { findTlv, intTlv, stringTlv, tlvInt, tlvString } from './tlv.js';
