/**
 * A message as the submit_sm PDUs that carry it: text split and encoded by the connector's
 * settings, our sender and the destination as SMPP addresses, receipts requested as configured
 * and the message's validity period as an absolute time.
 */
import type { CarrierSubmission } from '../../domain/ports/carrier.js';
import type { SmppConnectorConfig } from './config.js';
import type { Address } from './pdu/codec.js';
import type { SubmitFields } from './session.js';
import { encodeOutbound } from './text.js';

/** The submit_sm fields of each part of `s`; `reference` ties the parts of one message together. Throws when the text cannot be encoded. */
export function submitParts(s: CarrierSubmission, c: SmppConnectorConfig, reference: number): SubmitFields[] {
  const parts = encodeOutbound(s.body, { gsmEncoding: c.gsmEncoding, split: c.split }, reference);
  const source = sourceAddress(s.from, c.source);
  const destination: Address = { ton: c.destination.ton, npi: c.destination.npi, addr: s.to.replace(/^\+/, '') };
  const registeredDelivery = c.registeredDelivery === 'final' ? 1 : c.registeredDelivery === 'failure' ? 2 : 0;
  const validityPeriod = smppAbsoluteTime(s.expiresAt);
  return parts.map((p) => ({
    serviceType: c.serviceType,
    source,
    destination,
    esmClass: p.esmClassBits,
    protocolId: 0,
    priorityFlag: 0,
    scheduleDeliveryTime: '',
    validityPeriod,
    registeredDelivery,
    replaceIfPresent: 0,
    dataCoding: p.dataCoding,
    smDefaultMsgId: 0,
    shortMessage: p.shortMessage,
    tlvs: p.tlvs,
  }));
}

/** Our E.164 / short code / alphanumeric sender as an SMPP address (TON/NPI automatic unless configured). */
export function sourceAddress(from: string, configured: SmppConnectorConfig['source']): Address {
  let ton: number;
  let npi: number;
  let addr: string;
  if (/^\+\d+$/.test(from)) [ton, npi, addr] = [1, 1, from.slice(1)];
  else if (/^\d{3,8}$/.test(from)) [ton, npi, addr] = [3, 0, from];
  else [ton, npi, addr] = [5, 0, from.slice(0, 11)];
  return { ton: configured.ton ?? ton, npi: configured.npi ?? npi, addr };
}

/** SMPP absolute time (v3.4 §7.1.1) in UTC: YYMMDDhhmmsstnn+ . */
export function smppAbsoluteTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}000+`;
}
