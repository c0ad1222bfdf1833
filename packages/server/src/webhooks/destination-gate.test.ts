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

describe('DestinationGate share of the pool per project', () => {
  const A = 'aaaa a.test:80';
  const A2 = 'aaaa a2.test:80';
  const B = 'bbbb b.test:80';

  it('holds a project to the pool less one destination’s share, and to an equal share while another project waits', () => {
    const gate = new DestinationGate({ perDestination: 1, breakerFailures: 5, breakerCooldownMs: 1000, pool: 8 });
    gate.addWaiting(A, 20);
    for (let i = 0; i < 4; i++) gate.begin(A);
    gate.begin(B);
    // B sends but nothing of it waits: A may go past an equal share, up to its cap of 7.
    expect(gate.projectHasRoom(A2)).toBe(true);
    gate.addWaiting(B, 1);
    // B waits: A is at its equal share (4 of 8 between two projects).
    expect(gate.projectHasRoom(A)).toBe(false);
    expect(gate.projectHasRoom(B)).toBe(true);
    gate.addWaiting(B, -1);
    gate.release(B);
    for (let i = 0; i < 3; i++) gate.begin(A);
    expect(gate.projectHasRoom(A)).toBe(false);
    expect(gate.busyProjects()).toEqual(['aaaa']);
    gate.release(A);
    expect(gate.projectHasRoom(A)).toBe(true);
    // What waited is dropped (the runner stopping): no project waits any more.
    gate.addWaiting(B, 3);
    gate.clearWaiting();
    expect(gate.projectHasRoom(A)).toBe(true);
  });

  it('holds every project with requests in flight, together, to the same cap: the rest is for projects with none', () => {
    const gate = new DestinationGate({ perDestination: 2, breakerFailures: 5, breakerCooldownMs: 1000, pool: 8 });
    const C = 'cccc c.test:80';
    for (let i = 0; i < 5; i++) gate.begin(A);
    gate.begin(B);
    // 6 of 8 in flight, the cap of one project: neither A nor B may start another, C may.
    expect([gate.projectHasRoom(A), gate.projectHasRoom(B), gate.projectHasRoom(C)]).toEqual([false, false, true]);
    expect(gate.busyProjects()).toEqual(['aaaa', 'bbbb']);
    gate.begin(C);
    expect(gate.projectHasRoom(C)).toBe(false);
    gate.release(B);
    // 6 again, but B has nothing in flight now: B may start one, A and C may not.
    expect([gate.projectHasRoom(A), gate.projectHasRoom(B), gate.projectHasRoom(C)]).toEqual([false, true, false]);
    gate.release(A);
    expect([gate.projectHasRoom(A), gate.projectHasRoom(C)]).toEqual([true, true]);
    expect(gate.busyProjects()).toEqual([]);
  });

  it('answers as a walk over every waiting destination did, through any sequence of begins, ends and waits', () => {
    // The reference: the rule computed from scratch from the destinations that have deliveries waiting.
    const projectOf = (d: string) => d.slice(0, d.indexOf(' '));
    const destinations = ['p1 a:80', 'p1 b:80', 'p2 a:80', 'p3 a:80', 'p3 c:80', 'p4 a:80'];
    let x = 7;
    // xorshift32: a fixed sequence, so a failure is reproducible.
    const random = (n: number) => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) % n);
    for (const pool of [3, 8, 16]) {
      const gate = new DestinationGate({ perDestination: 2, breakerFailures: 1000, breakerCooldownMs: 1000, pool });
      const inFlight = new Map<string, number>();
      const sending = new Map<string, number>();
      const waiting = new Map<string, number>();
      const cap = Math.max(4, pool - 2);
      const expected = (d: string) => {
        const project = projectOf(d);
        const n = inFlight.get(project) ?? 0;
        const total = [...inFlight.values()].reduce((a, b) => a + b, 0);
        if (n >= cap || (n > 0 && total >= cap)) return false;
        const competing = new Set([...inFlight].filter(([, k]) => k > 0).map(([p]) => p));
        let othersWait = false;
        for (const [w, k] of waiting) {
          if (k === 0) continue;
          competing.add(projectOf(w));
          if (projectOf(w) !== project) othersWait = true;
        }
        return !othersWait || n < Math.max(1, Math.floor(pool / competing.size));
      };
      for (let step = 0; step < 600; step++) {
        const d = destinations[random(destinations.length)]!;
        const p = projectOf(d);
        const op = random(4);
        if (op === 0) {
          gate.addWaiting(d, 1);
          waiting.set(d, (waiting.get(d) ?? 0) + 1);
        } else if (op === 1 && (waiting.get(d) ?? 0) > 0) {
          gate.addWaiting(d, -1);
          waiting.set(d, waiting.get(d)! - 1);
        } else if (op === 2 && (inFlight.get(p) ?? 0) < cap) {
          gate.begin(d);
          inFlight.set(p, (inFlight.get(p) ?? 0) + 1);
          sending.set(d, (sending.get(d) ?? 0) + 1);
        } else if (op === 3 && (sending.get(d) ?? 0) > 0) {
          gate.release(d);
          inFlight.set(p, inFlight.get(p)! - 1);
          sending.set(d, sending.get(d)! - 1);
        }
        for (const q of destinations) expect(gate.projectHasRoom(q), `pool ${pool}, step ${step}, ${q}`).toBe(expected(q));
      }
    }
  });
});
