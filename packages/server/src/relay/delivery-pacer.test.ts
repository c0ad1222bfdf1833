/**
 * A project with hundreds of RELAY sessions on one context, flooded with inbound messages, wrote
 * every event to every session in the router's one turn: the node's thread was held for the whole
 * fan-out, and another project's requests waited behind it (a REST send took 1.5 s instead of
 * 125 ms). Each project now writes at most `RELAY_CONSTANTS.eventWritesPerTurn` events per turn;
 * the rest wait in their sessions, in order, kept until written (and acknowledged), and leave with
 * a session that parks: delivery stays at least once.
 */
import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../bus/in-process-bus.js';
import type { MessageRecord } from '../domain/message.js';
import type { MessageStatusEvent } from '../domain/ports/bus.js';
import { noopRelayMetrics } from '../domain/ports/metrics.js';
import { messageRow } from '../../test/helpers/records.js';
import { BufferBudget } from './buffer-budget.js';
import { DeliveryPacer } from './delivery-pacer.js';
import { RelayEventRouter } from './event-router.js';
import { InMemoryResumeStore } from './in-memory-resume-store.js';
import { RELAY_CONSTANTS } from './limits.js';
import { SessionRegistry } from './session-registry.js';
import { RelaySession } from './session.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const PER_TURN = RELAY_CONSTANTS.eventWritesPerTurn;
const turn = () => new Promise((r) => setImmediate(r));

function setup() {
  const bus = new InProcessBus();
  const registry = new SessionRegistry();
  const budget = new BufferBudget(1 << 30);
  const pacer = new DeliveryPacer(PER_TURN, (err) => {
    throw err;
  });
  new RelayEventRouter(bus, registry, new InMemoryResumeStore({ maxEvents: 1000, budget }), (err) => {
    throw err;
  });
  const written: { project: string; session: string; id: string; body: string }[] = [];
  const open = (project: string, protocol: string, eventAcks = true) => {
    const session = new RelaySession(protocol, 'sig', protocol, project, new Set(['messaging']), eventAcks, 3, { maxEvents: 1000, budget, metrics: noopRelayMetrics, now: () => Date.now(), pacer });
    session.attach({
      send: (f) => {
        const frame = JSON.parse(f) as { id: string; params: { params: { body: string } } };
        written.push({ project, session: protocol, id: frame.id, body: frame.params.params.body });
      },
      slow: () => undefined,
      close: () => undefined,
    });
    session.open();
    registry.add(session);
    registry.subscribe(session, ['office']);
    return session;
  };
  const inbound = (project: string, body: string) => {
    const message = { ...messageRow(project, { context: 'office', direction: 'inbound', status: 'received', body }), seq: 1 } as MessageRecord;
    const at = Date.now();
    const e: MessageStatusEvent = { projectId: project, message, status: 'received', at, event: { messageId: message.id, projectId: project, status: 'received', at, errorCode: null, errorMessage: null, detail: null } };
    bus.publish('message.status', e);
  };
  const count = (project: string) => written.filter((w) => w.project === project).length;
  return { open, inbound, written, count, pacer };
}

describe('RELAY event fan-out, paced per project', () => {
  it('writes at most a turn\'s share of a 200-session fan-out per turn, another project\'s event goes out at once, and each session gets every event in order', async () => {
    const { open, inbound, written, count, pacer } = setup();
    const sessions = Array.from({ length: 200 }, (_, i) => open(A, `a-${i}`));
    open(B, 'b-0');
    for (let i = 0; i < 10; i++) inbound(A, `flood ${i}`);
    inbound(B, 'hello');
    // What another project's request gets: the next turn after the router's, while A's fan-out is far from done.
    const seen: number[] = [];
    let aWhenB = -1;
    const probe = () => {
      seen.push(count(A));
      if (aWhenB < 0 && count(B) === 1) aWhenB = count(A);
      if (count(A) < 2000 && seen.length < 100) setImmediate(probe);
    };
    setImmediate(probe);
    while (count(A) < 2000 && seen.length < 100) await turn();
    expect(count(A)).toBe(2000);
    expect(count(B)).toBe(1);
    expect(aWhenB).toBeGreaterThanOrEqual(0);
    expect(aWhenB).toBeLessThanOrEqual(2 * PER_TURN);
    // Counted between two turns of the event loop: never more than the pacer's share (two of its turns may fall in one).
    const perTurn = seen.map((n, i) => n - (i === 0 ? 0 : seen[i - 1]!));
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(2 * PER_TURN);
    expect(seen.length).toBeGreaterThanOrEqual(Math.ceil(2000 / (2 * PER_TURN)));
    for (const s of sessions.slice(0, 3)) {
      expect(written.filter((w) => w.session === s.protocol).map((w) => w.body)).toEqual(Array.from({ length: 10 }, (_, i) => `flood ${i}`));
    }
    expect(pacer.waitingSessions).toBe(0);
  });

  it('keeps the events a session did not get written yet: they leave with it when it parks, with their ids, and are not written to the old connection', async () => {
    const { open, inbound, written } = setup();
    const sessions = Array.from({ length: 50 }, (_, i) => open(A, `a-${i}`));
    for (let i = 0; i < 5; i++) inbound(A, `m${i}`);
    await turn();
    const last = sessions[49]!;
    const got = written.filter((w) => w.session === last.protocol);
    expect(got.length).toBeLessThan(5);
    const kept = last.detach();
    expect(kept.map((e) => (JSON.parse(e.params) as { params: { body: string } }).params.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(kept.slice(0, got.length).map((e) => e.id)).toEqual(got.map((w) => w.id));
    for (let i = 0; i < 20; i++) await turn();
    expect(written.filter((w) => w.session === last.protocol)).toHaveLength(got.length);
    expect(written.filter((w) => w.session === sessions[48]!.protocol)).toHaveLength(5);
  });

  it('does not close a client that reads for a burst larger than its buffer that the pacer spreads', async () => {
    const { open, inbound } = setup();
    let slow = 0;
    const session = open(A, 'a-0');
    session.attach({ send: () => undefined, slow: () => void slow++, close: () => undefined });
    for (let i = 0; i < 1500; i++) inbound(A, `m${i}`);
    await turn();
    expect(session.unackedCount).toBe(1500);
    expect(slow).toBe(0);
  });

  it('closes a client that acknowledges none of a burst the pacer spread once it has been written its buffer\'s worth', async () => {
    const { open, inbound, pacer } = setup();
    let slow = 0;
    const session = open(A, 'a-0');
    session.attach({ send: () => undefined, slow: () => void slow++, close: () => undefined });
    for (let i = 0; i < 1500; i++) inbound(A, `m${i}`);
    await turn();
    expect(session.unackedCount).toBe(1500);
    while (pacer.waitingSessions > 0) await turn();
    // Written in turns (1000 of them unacknowledged is `maxEvents`), never acknowledged: a slow consumer, once.
    expect(slow).toBe(1);
  });

  it('a client that does not ack gets every event too, and one that parks while its events wait keeps them for its resume', async () => {
    const { open, inbound, written } = setup();
    const sessions = Array.from({ length: 50 }, (_, i) => open(A, `a-${i}`, false));
    for (let i = 0; i < 5; i++) inbound(A, `m${i}`);
    await turn();
    const last = sessions[49]!;
    const got = written.filter((w) => w.session === last.protocol).length;
    expect(got).toBeLessThan(5);
    expect(last.detach()).toHaveLength(5 - got);
    for (let i = 0; i < 20; i++) await turn();
    expect(written.filter((w) => w.session === sessions[48]!.protocol)).toHaveLength(5);
  });

  it('does not let one session whose queue grows by a turn\'s writes every turn hold the project\'s every turn', async () => {
    const pacer = new DeliveryPacer(PER_TURN, (err) => {
      throw err;
    });
    // A session always more than a turn's worth behind (a burst per turn), and one with a single event.
    let bursts = 0;
    const busy = {
      projectId: A,
      waiting: PER_TURN * 2,
      drain(): boolean {
        while (this.waiting > 0 && pacer.take(A)) this.waiting--;
        if (bursts++ < 50) this.waiting += PER_TURN;
        return this.waiting === 0;
      },
    };
    let quietGot = 0;
    const quiet = {
      projectId: A,
      drain(): boolean {
        if (!pacer.take(A)) return false;
        quietGot++;
        return true;
      },
    };
    pacer.wait(busy);
    pacer.wait(quiet);
    for (let i = 0; i < 10 && quietGot === 0; i++) await turn();
    expect(quietGot).toBe(1);
    while (pacer.waitingSessions > 0) await turn();
  });
});
