/**
 * A node stopping while its NATS link is silent (a partition, a NATS server that stopped answering)
 * must not wait for the client's pings to find the link dead (20–30 s) before it exits: draining
 * needs the server's answer, and a process manager kills a node that takes that long to stop.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../../src/bus/nats-bus.js';
import { NATS_TEST_URL, servicesOff } from '../helpers/postgres.js';
import { TcpLink } from '../helpers/tcp-link.js';

describe.skipIf(servicesOff)('a NATS bus closed while its link is silent', () => {
  const link = TcpLink.to(NATS_TEST_URL);
  afterAll(async () => {
    await link.down();
  });

  it('closes without waiting for the server to answer', async () => {
    await link.up();
    const bus = await NatsBus.connect({ servers: [link.via(NATS_TEST_URL)], prefix: `sbtest-${randomBytes(4).toString('hex')}`, name: 'silent' });
    bus.subscribe('numbers.changed', () => undefined);
    await bus.flushed();
    link.silence();
    bus.publish('numbers.changed', { projectId: 'p' });
    await bus.close();
    expect(bus.health()).toEqual({ ok: false, detail: 'closed' });
  }, 10_000);
});
