/**
 * The one-octet fields of a submit_sm the simulator's SMSC checks as an SMSC does, so an ESME that
 * sends a reserved value fails here and not at a carrier:
 * - `priority_flag` (SMPP v3.4 §5.2.14): 0–3; above is reserved → ESME_RINVPRTFLG.
 * - `esm_class` (§5.2.12): any messaging mode (bits 1–0) and GSM features (bits 7–6: UDHI, reply
 *   path), but the message type (bits 5–2) of a submit_sm is default (0000), ESME delivery
 *   acknowledgement (0010) or manual/user acknowledgement (0100); the others are reserved (or
 *   name an SMSC's own deliver_sm, as a delivery receipt) → ESME_RINVESMCLASS.
 * - `data_coding` (§5.2.19): a value neither SMPP v3.4 nor GSM 03.38 / 3GPP TS 23.038 gives a
 *   meaning → ESME_RINVDCS. SMPP's own table covers 0x00–0x0F (0x0B, 0x0C and 0x0F reserved).
 *   Above it v3.4 reserves most values, but SMSCs pass GSM's coding groups through and ESMEs send
 *   them (Kannel writes a message class as 0x10–0x1F, message waiting as 0xC0–0xEF, `alt-dcs` as
 *   0xF0–0xFF), so those are taken: the general and automatic-deletion groups (0x10–0x7F) unless
 *   their alphabet bits are the reserved 11, message waiting (0xC0–0xEF), message class
 *   (0xF0–0xFF). GSM's reserved groups 1000–1011 (0x80–0xBF) are refused.
 */
import { STATUS } from '../../smpp/pdu/constants.js';

/** submit_sm message types (esm_class bits 5–2) an ESME may send. */
const SUBMIT_TYPES = new Set([0x00, 0x08, 0x10]);

/** Whether an SMSC can read `dataCoding` (see above). */
export function isKnownDataCoding(dataCoding: number): boolean {
  if (dataCoding <= 0x0f) return dataCoding !== 0x0b && dataCoding !== 0x0c && dataCoding !== 0x0f;
  if (dataCoding <= 0x7f) return (dataCoding & 0x0c) !== 0x0c;
  return dataCoding >= 0xc0;
}

/** The command_status a submit_sm with a reserved priority_flag, esm_class or data_coding is answered, or null when all are valid. */
export function submitFieldsStatus(pdu: { readonly esmClass: number; readonly priorityFlag: number; readonly dataCoding: number }): number | null {
  if (!SUBMIT_TYPES.has(pdu.esmClass & 0x3c)) return STATUS.ESME_RINVESMCLASS;
  if (pdu.priorityFlag > 3) return STATUS.ESME_RINVPRTFLG;
  if (!isKnownDataCoding(pdu.dataCoding)) return STATUS.ESME_RINVDCS;
  return null;
}
