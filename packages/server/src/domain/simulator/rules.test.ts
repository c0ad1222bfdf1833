import { describe, expect, it } from 'vitest';
import { parseOutcomeRules, parseOutcomeRuleSet } from './rules.js';

describe('parseOutcomeRules', () => {
  // A number copied without its + was accepted, and its rule never applied: destinations without + are short codes.
  it('refuses a prefix without + longer than a short code, which matches no destination, with the prefix meant', () => {
    expect(() => parseOutcomeRuleSet([{ prefix: '15557654321', outcome: 'failed' }])).toThrow('rule 0: "prefix" 15557654321 matches no destination: one without + matches only short codes (up to 6 digits); write +15557654321');
    // Stored rules are read as they were set.
    expect(parseOutcomeRules([{ prefix: '15557654321', outcome: 'failed' }])).toHaveLength(1);
    expect(parseOutcomeRuleSet([{ prefix: '246801', outcome: 'delayed' }])).toEqual([{ prefix: '246801', outcome: { kind: 'delivered', receipt: 'delayed' } }]);
  });

  it('parses every outcome', () => {
    expect(
      parseOutcomeRules([
        { prefix: '+1', outcome: 'delivered' },
        { prefix: '+2', outcome: 'delayed' },
        { prefix: '+3', outcome: 'undelivered', error: 30005 },
        { prefix: '+4', outcome: 'failed', error: 30007 },
        { prefix: '+5', outcome: 'no_receipt' },
        { prefix: '+6', outcome: 'throttled', times: 3 },
        { prefix: '+7', outcome: 'transient' },
      ]),
    ).toEqual([
      { prefix: '+1', outcome: { kind: 'delivered', receipt: 'normal' } },
      { prefix: '+2', outcome: { kind: 'delivered', receipt: 'delayed' } },
      { prefix: '+3', outcome: { kind: 'undelivered', error: 'HANDSET_UNKNOWN' } },
      { prefix: '+4', outcome: { kind: 'failed', error: 'CARRIER_VIOLATION' } },
      { prefix: '+5', outcome: { kind: 'no_receipt' } },
      { prefix: '+6', outcome: { kind: 'throttled', times: 3 } },
      { prefix: '+7', outcome: { kind: 'transient', times: 1 } },
    ]);
  });

  it('defaults undelivered to 30003 and failed to 30008', () => {
    expect(parseOutcomeRules([{ prefix: '44', outcome: 'undelivered' }, { prefix: '45', outcome: 'failed' }]).map((r) => r.outcome)).toEqual([
      { kind: 'undelivered', error: 'HANDSET_UNREACHABLE' },
      { kind: 'failed', error: 'UNKNOWN_DELIVERY_ERROR' },
    ]);
  });

  it('takes the error as a number, a digit string or a catalogue key', () => {
    const error = (e: unknown) => parseOutcomeRules([{ prefix: '+1', outcome: 'undelivered', error: e }])[0]!.outcome;
    expect(error(30004)).toEqual({ kind: 'undelivered', error: 'CARRIER_BLOCKED' });
    expect(error('30004')).toEqual({ kind: 'undelivered', error: 'CARRIER_BLOCKED' });
    expect(error('CARRIER_BLOCKED')).toEqual({ kind: 'undelivered', error: 'CARRIER_BLOCKED' });
  });

  it('keeps a description', () => {
    expect(parseOutcomeRules([{ prefix: '+1', outcome: 'delivered', description: 'US is fine' }])[0]).toEqual({ prefix: '+1', outcome: { kind: 'delivered', receipt: 'normal' }, description: 'US is fine' });
  });

  it('accepts an empty list', () => {
    expect(parseOutcomeRules([])).toEqual([]);
  });

  it.each([[{}], ['rules'], [null]])('refuses %j as not a list', (raw) => {
    expect(() => parseOutcomeRules(raw)).toThrow('rules must be a list');
  });

  it('names the index of the bad rule and why it is bad', () => {
    const ok = { prefix: '+1', outcome: 'delivered' };
    expect(() => parseOutcomeRules([ok, null])).toThrow('rule 1 must be an object');
    expect(() => parseOutcomeRules([ok, ok, { prefix: '+1a', outcome: 'delivered' }])).toThrow('rule 2: "prefix"');
    expect(() => parseOutcomeRules([{ prefix: '+1', outcome: 'lost' }])).toThrow('rule 0: "outcome" must be one of delivered, delayed');
    expect(() => parseOutcomeRules([{ prefix: '+1', outcome: 'throttled', times: 0 }])).toThrow('rule 0: "times" must be a whole number from 1 to 100');
  });

  it.each([[''], ['+'], ['++1'], ['1'.repeat(18)], [15551234567]])('refuses the prefix %j', (prefix) => {
    expect(() => parseOutcomeRules([{ prefix, outcome: 'delivered' }])).toThrow('"prefix" must be digits');
  });

  it.each([[0], [101], [1.5], ['many']])('refuses times %j', (times) => {
    expect(() => parseOutcomeRules([{ prefix: '+1', outcome: 'transient', times }])).toThrow('"times"');
  });

  it.each([[21211], [99999], ['TO_INVALID'], ['nonsense'], [true]])('refuses the error %j, which is not a delivery error', (error) => {
    expect(() => parseOutcomeRules([{ prefix: '+1', outcome: 'failed', error }])).toThrow('rule 0: "error" must be a delivery error code');
  });
});

describe('parseOutcomeRuleSet (rules being set)', () => {
  const refusal = (raw: unknown) => {
    try {
      parseOutcomeRuleSet(raw);
    } catch (err) {
      return (err as Error).message;
    }
    return null;
  };

  it('refuses what parseOutcomeRules would silently ignore or leave ambiguous', () => {
    expect(refusal([{ prefix: '+1555', outcome: 'delivered', error: 30003 }])).toMatch(/"error" is for undelivered and failed/);
    expect(refusal([{ prefix: '+1555', outcome: 'failed', error: 30007, times: 3 }])).toMatch(/"times" is for throttled and transient/);
    expect(refusal([{ prefix: '+1555', outcome: 'delivered', prefx: '+1' }])).toMatch(/unknown field "prefx"/);
  });

  // A misspelt "prefix" was reported as a missing one ("prefix" must be digits … (got null)), and an
  // unknown field or outcome was named without the one probably meant.
  it('names a misspelt field, before the field it stands for is found missing, with the one probably meant', () => {
    expect(refusal([{ prefx: '+4477', outcome: 'undelivered' }])).toBe('rule 0: unknown field "prefx" (did you mean "prefix"?); a rule has prefix, outcome, error, times, description');
    expect(refusal([{ prefix: '+4477', outcome: 'undelivered', eror: 30003 }])).toMatch(/^rule 0: unknown field "eror" \(did you mean "error"\?\)/);
    expect(refusal([{ prefix: '+4477', outcome: 'undelivred' }])).toBe('rule 0: "outcome" must be one of delivered, delayed, undelivered, failed, no_receipt, throttled, transient (got "undelivred") (did you mean "undelivered"?)');
    expect(refusal([{ prefix: '+1555', outcome: 'delivered' }, { prefix: '+1555', outcome: 'failed' }])).toMatch(/rule 1: prefix \+1555 is already rule 0's/);
    expect(refusal([{ prefix: '+1555', outcome: 'delivered', description: 'x'.repeat(201) }])).toMatch(/at most 200 characters/);
    expect(refusal(Array.from({ length: 1001 }, (_, i) => ({ prefix: `+1${i}`, outcome: 'delivered' })))).toMatch(/at most 1000 rules/);
  });

  it('takes overlapping prefixes (the longest wins) and 1,000 rules', () => {
    expect(refusal([{ prefix: '+1555', outcome: 'failed' }, { prefix: '+15557', outcome: 'delivered', description: 'x'.repeat(200) }])).toBeNull();
    expect(refusal(Array.from({ length: 1000 }, (_, i) => ({ prefix: `+1${i}`, outcome: 'delivered' })))).toBeNull();
  });
});
