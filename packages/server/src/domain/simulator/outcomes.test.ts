import { describe, expect, it } from 'vitest';
import { decideOutcome, MAGIC_NUMBERS, type OutcomeRule } from './outcomes.js';

describe('decideOutcome', () => {
  it('delivers with a normal receipt by default', () => {
    expect(decideOutcome('+15551234567', [])).toEqual({ kind: 'delivered', receipt: 'normal' });
  });

  it.each([
    ['+12015550101', { kind: 'undelivered', error: 'HANDSET_UNREACHABLE' }],
    ['+12015550102', { kind: 'undelivered', error: 'HANDSET_UNKNOWN' }],
    ['+12015550103', { kind: 'undelivered', error: 'CARRIER_BLOCKED' }],
    ['+12015550104', { kind: 'failed', error: 'UNROUTABLE' }],
    ['+12015550105', { kind: 'failed', error: 'CARRIER_VIOLATION' }],
    ['+12015550106', { kind: 'delivered', receipt: 'delayed' }],
    ['+12015550107', { kind: 'no_receipt' }],
    ['+12015550108', { kind: 'throttled', times: 2 }],
    ['+12015550109', { kind: 'transient', times: 2 }],
  ])('gives the magic number %s its documented fate', (to, outcome) => {
    expect(decideOutcome(to, [])).toEqual(outcome);
  });

  it('matches magic numbers exactly, not as prefixes', () => {
    expect(decideOutcome('+120155501011', [])).toEqual({ kind: 'delivered', receipt: 'normal' });
    expect(decideOutcome('+1201555010', [])).toEqual({ kind: 'delivered', receipt: 'normal' });
  });

  it('documents every magic number', () => {
    expect(MAGIC_NUMBERS.map((m) => m.prefix)).toEqual(Array.from({ length: 9 }, (_, i) => `+1201555010${i + 1}`));
    for (const m of MAGIC_NUMBERS) expect(m.description).toBeTruthy();
  });

  it('lets operator rules match by prefix, the longest winning whatever the order', () => {
    const rules: OutcomeRule[] = [
      { prefix: '+44', outcome: { kind: 'no_receipt' } },
      { prefix: '+4477', outcome: { kind: 'failed', error: 'UNROUTABLE' } },
      { prefix: '+447700', outcome: { kind: 'undelivered', error: 'CARRIER_BLOCKED' } },
    ];
    expect(decideOutcome('+447700900123', rules)).toEqual({ kind: 'undelivered', error: 'CARRIER_BLOCKED' });
    expect(decideOutcome('+447712345678', rules)).toEqual({ kind: 'failed', error: 'UNROUTABLE' });
    expect(decideOutcome('+447800900123', rules)).toEqual({ kind: 'no_receipt' });
    expect(decideOutcome('+441234567890', rules)).toEqual({ kind: 'no_receipt' });
    expect(decideOutcome('+447700900123', [...rules].reverse())).toEqual({ kind: 'undelivered', error: 'CARRIER_BLOCKED' });
    expect(decideOutcome('+33123456789', rules)).toEqual({ kind: 'delivered', receipt: 'normal' });
  });

  it('lets operator rules override the magic numbers', () => {
    expect(decideOutcome('+12015550101', [{ prefix: '+1201', outcome: { kind: 'delivered', receipt: 'normal' } }])).toEqual({ kind: 'delivered', receipt: 'normal' });
  });

  it('keeps the first of two rules with the same prefix', () => {
    const rules: OutcomeRule[] = [
      { prefix: '+1', outcome: { kind: 'no_receipt' } },
      { prefix: '+1', outcome: { kind: 'transient', times: 1 } },
    ];
    expect(decideOutcome('+15551234567', rules)).toEqual({ kind: 'no_receipt' });
  });
});
