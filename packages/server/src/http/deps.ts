/** What the HTTP surfaces need from the engine; built by the composition root. */
import type { Store } from '../domain/ports/store.js';
import type { Bus } from '../domain/ports/bus.js';
import type { Clock } from '../domain/clock.js';
import type { CredentialVerifier } from '../engine/admin/credential-verifier.js';
import type { MessageAcceptor } from '../engine/messages/message-acceptor.js';
import type { MessageService } from '../engine/messages/message-service.js';
import type { NumberService } from '../engine/admin/number-service.js';
import type { InboundRouter } from '../engine/messages/inbound-router.js';

export interface HttpDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly verifier: CredentialVerifier;
  readonly acceptor: MessageAcceptor;
  readonly messages: MessageService;
  readonly numbers: NumberService;
  readonly inbound: InboundRouter;
  /** Configured public base URL, or null to use each request's host. */
  readonly publicUrl: string | null;
}
