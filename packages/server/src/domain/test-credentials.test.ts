import { ERRORS } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { testSendError, TEST_VALID_SENDER } from './test-credentials.js';

const compat = (from: string | null, to: string) => {
  const key = testSendError(from, to);
  return key === null ? null : ERRORS[key].compat;
};

describe('testSendError (Twilio test credentials)', () => {
  it('answers the documented From numbers, and 21606 for any other sender or a number group', () => {
    expect(compat('+15005550001', '+15557650000')).toBe(21212);
    expect(compat('+15005550007', '+15557650000')).toBe(21606);
    expect(compat('+15005550008', '+15557650000')).toBe(21611);
    expect(compat('+15551230001', '+15557650000')).toBe(21606);
    expect(compat(null, '+15557650000')).toBe(21606);
  });

  it('answers the documented To numbers from the valid sender, and passes any other', () => {
    expect([1, 2, 3, 4, 9].map((n) => compat(TEST_VALID_SENDER, `+1500555000${n}`))).toEqual([21211, 21612, 21408, 21610, 21614]);
    expect(compat(TEST_VALID_SENDER, '+15005550005')).toBeNull();
    expect(compat(TEST_VALID_SENDER, '+447700900123')).toBeNull();
  });

  it('answers 21606 for a number group even beside the valid sender', () => {
    const key = testSendError(TEST_VALID_SENDER, '+15557650000', true);
    expect(key === null ? null : ERRORS[key].compat).toBe(21606);
  });

  it('checks the sender first', () => {
    expect(compat('+15005550001', '+15005550002')).toBe(21212);
  });
});
