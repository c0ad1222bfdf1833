/** Numbers as the simulator's SMSC reads and writes them in SMPP addresses. */
import type { Address } from '../../smpp/pdu/codec.js';

/** An SMPP address as a number: international ones (TON 1) get their +. */
export function numberOf(a: Address): string {
  return a.ton === 1 ? `+${a.addr}` : a.addr;
}

/** A number as an SMPP address: E.164 is international, other digits a short code, the rest alphanumeric. */
export function addressOf(n: string): Address {
  return n.startsWith('+') ? { ton: 1, npi: 1, addr: n.slice(1) } : { ton: /^\d+$/.test(n) ? 3 : 5, npi: 0, addr: n };
}
