import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../domain/ports/carrier.js';
import { SubmissionsInFlight } from './submissions-in-flight.js';

const report = (messageId: string, status: StatusReport['status'] = 'delivered', at = 1): StatusReport => ({ messageId, projectId: 'p', status, at });

describe('SubmissionsInFlight', () => {
  it('lets receipts of messages not being submitted through', () => {
    const f = new SubmissionsInFlight();
    expect(f.holdIfEarly(report('m1'))).toBe(false);
    f.begin(['m2']);
    expect(f.holdIfEarly(report('m1'))).toBe(false);
  });

  it('holds a receipt that overtakes the submit answer and releases it, in order, when the answer is recorded', () => {
    const f = new SubmissionsInFlight();
    f.begin(['m1', 'm2']);
    const first = report('m1', 'delivered', 1);
    const second = report('m1', 'undelivered', 2);
    expect(f.holdIfEarly(first)).toBe(true);
    expect(f.holdIfEarly(second)).toBe(true);
    expect(f.end(['m1', 'm2'])).toEqual([first, second]);
  });

  it('forgets messages once ended, so later receipts pass straight through', () => {
    const f = new SubmissionsInFlight();
    f.begin(['m1']);
    expect(f.size).toBe(1);
    expect(f.end(['m1'])).toEqual([]);
    expect(f.size).toBe(0);
    expect(f.holdIfEarly(report('m1'))).toBe(false);
  });

  it('ends only the messages named', () => {
    const f = new SubmissionsInFlight();
    f.begin(['a', 'b']);
    f.holdIfEarly(report('a'));
    f.holdIfEarly(report('b'));
    expect(f.end(['a']).map((r) => r.messageId)).toEqual(['a']);
    expect(f.size).toBe(1);
    expect(f.end(['b']).map((r) => r.messageId)).toEqual(['b']);
  });

  it('keeps held receipts when a message is begun again before it ends', () => {
    const f = new SubmissionsInFlight();
    f.begin(['m1']);
    const held = report('m1');
    f.holdIfEarly(held);
    f.begin(['m1']);
    expect(f.end(['m1'])).toEqual([held]);
  });

  it('returns the held receipts of several messages in the order of the ids given', () => {
    const f = new SubmissionsInFlight();
    f.begin(['x', 'y']);
    const y = report('y');
    const x = report('x');
    f.holdIfEarly(y);
    f.holdIfEarly(x);
    expect(f.end(['x', 'y'])).toEqual([x, y]);
    expect(f.end(['x', 'y'])).toEqual([]);
  });
});
