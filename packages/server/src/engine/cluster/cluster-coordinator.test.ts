/**
 * A carrier lease this node cannot renew is given up before it expires, so that two nodes never
 * hold one SMPP account's connection at once. A database that keeps connections open and never
 * answers (a hung server, a proxy in front of one) holds the round that would renew it, and the
 * round that would notice: the lease must be given up all the same, on time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Carrier, CarrierSink } from '../../domain/ports/carrier.js';
import type { Store } from '../../domain/ports/store.js';
import { ClusterCoordinator } from './cluster-coordinator.js';
import { LeasedCarrier } from './leased-carrier.js';

const HEARTBEAT_MS = 400;
const NODE_TIMEOUT_MS = 3_000;

/** A carrier connection that only says whether it is open. */
function fakeConnection(state: { open: boolean }): Carrier {
  return {
    descriptor: { id: 'smsc' },
    async start() {
      state.open = true;
    },
    async stop() {
      state.open = false;
    },
  } as unknown as Carrier;
}

/** The store calls a coordinator makes; `silent` makes every one of them wait for ever. */
function fakeStore(control: { silent: boolean }): Store {
  const answer = <T>(value: T): Promise<T> => (control.silent ? new Promise<T>(() => undefined) : Promise.resolve(value));
  return {
    nodes: { register: () => answer(undefined), heartbeat: () => answer(true), takeDead: () => answer([]), markStopped: () => answer(undefined) },
    leases: { acquire: () => answer(true), release: () => answer(undefined) },
    jobs: { releaseLeases: () => answer(0) },
    webhooks: { releaseLeases: () => answer(0) },
  } as unknown as Store;
}

const flush = () => new Promise((r) => setImmediate(r));

describe('a carrier lease while the database does not answer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is given up before it expires, though the round renewing it never ends', async () => {
    // Rounds are run by hand, on a clock moved by hand: the heartbeat timer never fires.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let now = 1_000_000;
    const control = { silent: false };
    const connection = { open: false };
    const carrier = new LeasedCarrier({ id: 'smsc' } as never, () => fakeConnection(connection));
    await carrier.start({} as CarrierSink);
    const quiet = () => undefined;
    const coordinator = new ClusterCoordinator(
      { store: fakeStore(control), clock: { now: () => now }, logger: { info: quiet, warn: quiet, error: quiet }, leased: [carrier], onCarrierAcquired: quiet, adopt: async () => undefined },
      { instanceId: 'A1', nodeId: 'a', roles: ['dispatch'], url: null, heartbeatMs: HEARTBEAT_MS, nodeTimeoutMs: NODE_TIMEOUT_MS },
    );
    // The lease is taken and the connection opened.
    await coordinator.start();
    expect(connection.open).toBe(true);
    expect(coordinator.claimable()).toEqual(['smsc']);

    // The database goes silent: the next round waits for its heartbeat for ever.
    control.silent = true;
    now += HEARTBEAT_MS;
    void coordinator.tick();
    await flush();
    expect(connection.open).toBe(true);

    // The lease (taken for the node timeout) is about to expire: another node may take it soon.
    now += NODE_TIMEOUT_MS - 2 * HEARTBEAT_MS;
    void coordinator.tick();
    await flush();
    expect(connection.open).toBe(false);
    expect(coordinator.claimable()).toEqual([]);
  });
});
