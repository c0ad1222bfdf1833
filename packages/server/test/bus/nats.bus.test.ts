import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import { NatsBus } from '../../src/bus/nats-bus.js';
import { NATS_TEST_URL, servicesOff } from '../helpers/postgres.js';
import { describeBusContract } from './bus-contract.js';

describe.skipIf(servicesOff)('NATS', () => {
  describeBusContract('nats', async () => {
    const errors: unknown[] = [];
    // A prefix per test keeps concurrent test runs on one NATS server apart.
    const prefix = `sbtest-${randomBytes(4).toString('hex')}`;
    const open = (name: string) => NatsBus.connect({ servers: [NATS_TEST_URL], prefix, name, onError: (err) => errors.push(err) });
    const bus = await open('node-a');
    const peer = await open('node-b');
    return {
      bus,
      peer,
      errors,
      async settle() {
        await bus.flushed();
        await peer.flushed();
        // A round trip through the server after the last publish: anything sent before it has arrived.
        await new Promise((r) => setTimeout(r, 20));
      },
      async close() {
        await bus.close();
        await peer.close();
      },
    };
  });
});
