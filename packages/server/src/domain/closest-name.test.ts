import { describe, expect, it } from 'vitest';
import { closestName, didYouMean, editDistance } from './closest-name.js';

describe('closestName', () => {
  it('measures edits case-insensitively', () => {
    expect(editDistance('port', 'prot')).toBe(2);
    expect(editDistance('Status', 'status')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('finds a typo, a part of a name, and nothing for a stranger', () => {
    const names = ['delay_ms', 'delayed_receipt_ms', 'mms_receipts', 'rules'];
    expect(closestName('delay', names)).toBe('delay_ms');
    expect(closestName('mms_reciepts', names)).toBe('mms_receipts');
    expect(closestName('color', names)).toBeNull();
    expect(didYouMean('rule', names)).toBe(' (did you mean "rules"?)');
    expect(didYouMean('zzz', names)).toBe('');
  });
});
