import { describe, expect, it } from 'vitest';
import { DestinationGate } from './destination-gate.js';

const FAST = { succeeded: true, durationMs: 5 };

/** Fill `d` to its cap, then end one attempt with `outcome`. */
function saturateAndEnd(gate: DestinationGate, d: string, outcome: { succeeded: boolean; durationMs: number }, answered = true) {
  while (gate.hasRoom(d, 0)) gate.begin(d);
  return gate.end(d, answered, 0, outcome);
}

describe('DestinationGate per-destination cap', () => {
  it('raises the cap of a saturated destination answering fast, one slot per answer, up to the maximum', () => {
    const gate = new DestinationGate({ perDestination: 2, maxPerDestination: 4, breakerFailures: 5, breakerCooldownMs: 1000 });
    expect(gate.capOf('a:80')).toBe(2);
    saturateAndEnd(gate, 'a:80', FAST);
    expect(gate.capOf('a:80')).toBe(3);
    for (let i = 0; i < 5; i++) saturateAndEnd(gate, 'a:80', FAST);
    expect(gate.capOf('a:80')).toBe(4);
    expect(gate.limits(0).room['a:80']).toBe(1);
    // The base share is still 2.
    expect(gate.hasRoom('a:80', 0, true)).toBe(false);
    // Another destination keeps its base cap.
    expect(gate.capOf('b:80')).toBe(2);
  });

  it('does not raise the cap of a destination that is not using all of its slots', () => {
    const gate = new DestinationGate({ perDestination: 2, maxPerDestination: 4, breakerFailures: 5, breakerCooldownMs: 1000 });
    gate.begin('a:80');
    gate.end('a:80', true, 0, FAST);
    expect(gate.capOf('a:80')).toBe(2);
  });

  it('takes the raised cap back on a slow answer, an error answer, or no answer', () => {
    for (const [outcome, answered] of [
      [{ succeeded: true, durationMs: 5_000 }, true],
      [{ succeeded: false, durationMs: 5 }, true],
      [{ succeeded: false, durationMs: 5 }, false],
    ] as const) {
      const gate = new DestinationGate({ perDestination: 2, maxPerDestination: 8, breakerFailures: 5, breakerCooldownMs: 1000 });
      for (let i = 0; i < 4; i++) saturateAndEnd(gate, 'a:80', FAST);
      expect(gate.capOf('a:80')).toBe(6);
      gate.end('a:80', answered, 0, outcome);
      expect(gate.capOf('a:80')).toBe(2);
    }
  });

  it('keeps the cap of perDestination without a maximum above it', () => {
    const gate = new DestinationGate({ perDestination: 2, breakerFailures: 5, breakerCooldownMs: 1000 });
    for (let i = 0; i < 4; i++) saturateAndEnd(gate, 'a:80', FAST);
    expect(gate.capOf('a:80')).toBe(2);
  });
});
