import { describe, expect, it } from 'vitest';
import { inboundAddress } from './mo-assembler.js';

const at = (ton: number, addr: string, cc: string | null = null, unknownTon: 'international' | 'national' = 'international') =>
  inboundAddress({ ton, npi: 1, addr }, { nationalCountryCode: cc, unknownTon });

describe('inboundAddress: one key per handset whatever TON the SMSC writes', () => {
  it('writes international numbers as E.164 whether the SMSC says TON 1, 0 or 2, with 00 or a +', () => {
    for (const ton of [0, 1, 2]) expect(at(ton, '15551234567')).toBe('+15551234567');
    expect(at(0, '0015551234567')).toBe('+15551234567');
    expect(at(0, '+15551234567')).toBe('+15551234567');
    expect(at(1, ' 447700900123 ')).toBe('+447700900123');
  });

  it('places national numbers with the configured country code, trunk prefix dropped', () => {
    expect(at(2, '07700900123', '44')).toBe('+447700900123');
    // Italy and San Marino have no trunk prefix: a landline's leading 0 is part of the number.
    expect(at(2, '0612345678', '39')).toBe('+390612345678');
    expect(at(2, '3123456789', '39')).toBe('+393123456789');
    expect(at(2, '0549123456', '378')).toBe('+3780549123456');
    expect(at(0, '07700900123', '44')).toBe('+447700900123');
    expect(at(2, '5551234567', '1')).toBe('+15551234567');
    expect(at(2, '15551234567', '1')).toBe('+15551234567');
    // An SMSC whose unknown TON means national (a country with no trunk prefix, or NANP's ten digits).
    expect(at(0, '612345678', '34', 'national')).toBe('+34612345678');
    expect(at(0, '5551234567', '1', 'national')).toBe('+15551234567');
    expect(at(0, '15551234567', '1', 'national')).toBe('+15551234567');
    expect(at(0, '5551234567', '1')).toBe('+5551234567');
    // Unknown TON without a trunk 0 is international even when a country code is configured.
    expect(at(0, '447700900123', '1')).toBe('+447700900123');
  });

  it('leaves short codes, alphanumerics and national numbers it cannot place as they came', () => {
    expect(at(0, '12345')).toBe('12345');
    expect(at(3, '15551234567')).toBe('15551234567');
    expect(at(5, 'ACME')).toBe('ACME');
    expect(at(0, '07700900123')).toBe('07700900123');
    expect(at(2, '07700900123')).toBe('07700900123');
  });
});
