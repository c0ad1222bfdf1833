import { describe, expect, it } from 'vitest';
import { AddressWarnings } from './address-warnings.js';

function setup() {
  let now = 0;
  const logged: Array<{ address: string; message: string }> = [];
  const warnings = new AddressWarnings({ warn: (fields, message) => logged.push({ address: String(fields.address), message }) }, 60_000, () => now);
  return { warnings, logged, advance: (ms: number) => (now += ms) };
}

describe('AddressWarnings', () => {
  it('logs each kind once per interval for an address, and again after it', () => {
    const { warnings, logged, advance } = setup();
    warnings.warn('cap', '127.0.0.2', {}, 'cap reached');
    warnings.warn('cap', '127.0.0.2', {}, 'cap reached');
    warnings.warn('unread', '127.0.0.2', {}, 'answers not read');
    advance(59_999);
    warnings.warn('cap', '127.0.0.2', {}, 'cap reached');
    expect(logged.map((l) => l.message)).toEqual(['cap reached', 'answers not read']);
    advance(1);
    warnings.warn('cap', '127.0.0.2', {}, 'cap reached');
    expect(logged).toHaveLength(3);
  });

  it('forgets addresses an interval old, keeping the ones still fresh', () => {
    const { warnings, advance } = setup();
    for (let i = 0; i < 1000; i++) warnings.warn('cap', `127.0.${i >> 8}.${i & 255}`, {}, 'cap reached');
    advance(30_000);
    // A key logged again after its interval moves to the end, behind fresher ones.
    for (let i = 0; i < 10; i++) warnings.warn('cap', `127.1.0.${i}`, {}, 'cap reached');
    expect(warnings.remembered).toBe(1010);
    advance(30_000);
    warnings.warn('cap', '127.0.0.0', {}, 'cap reached');
    expect(warnings.remembered).toBe(11);
    advance(30_000);
    warnings.warn('cap', '127.2.0.0', {}, 'cap reached');
    // 127.1.0.x are 60 s old now; 127.0.0.0 was logged again 30 s ago.
    expect(warnings.remembered).toBe(2);
  });
});
