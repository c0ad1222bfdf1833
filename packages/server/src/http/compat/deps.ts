/** What the Compatibility API surface needs from the engine; built by the composition root. */
import type { Store } from '../../domain/ports/store.js';
import type { CredentialVerifier } from '../../engine/credential-verifier.js';
import type { CxmlApplicationService } from '../../engine/cxml-application-service.js';
import type { MessageAcceptor } from '../../engine/message-acceptor.js';
import type { MessageService } from '../../engine/message-service.js';
import type { NumberService } from '../../engine/number-service.js';

export interface CompatDeps {
  readonly verifier: CredentialVerifier;
  readonly store: Store;
  readonly acceptor: MessageAcceptor;
  readonly messages: MessageService;
  readonly applications: CxmlApplicationService;
  readonly numbers: NumberService;
}
