/** What the HTTP surfaces are given: the engine (their one way to storage) and how to build URLs. */
import type { Engine } from '../engine/index.js';

/** The engine's services and reads every HTTP surface uses, plus the configured public base URL. */
export type HttpDeps = Pick<Engine, 'bus' | 'clock' | 'sharedClock' | 'verifier' | 'acceptor' | 'testSends' | 'messages' | 'numbers' | 'groups' | 'applications' | 'inbound' | 'reads' | 'webhookOutbox' | 'scheduled' | 'optOuts' | 'messagingSettings' | 'projects'> & {
  /** Configured public base URL, or null to use each request's host. */
  readonly publicUrl: string | null;
  /** Messages one page of a message list examines at most (`http.listScanRows`; docs/api/compat.md "Lists over a long history"). */
  readonly listScanRows: number;
};

/** The surfaces' dependencies from an engine. */
export function httpDeps(engine: Engine, publicUrl: string | null, listScanRows: number): HttpDeps {
  const { bus, clock, sharedClock, verifier, acceptor, testSends, messages, numbers, groups, applications, inbound, reads, webhookOutbox, scheduled, optOuts, messagingSettings, projects } = engine;
  return { bus, clock, sharedClock, verifier, acceptor, testSends, messages, numbers, groups, applications, inbound, reads, webhookOutbox, scheduled, optOuts, messagingSettings, projects, publicUrl, listScanRows };
}
