/** What the Compatibility API surface needs from the engine; built by the composition root. */
import type { Store } from '../../domain/ports/store.js';
import type { CredentialVerifier } from '../../engine/admin/credential-verifier.js';
import type { CxmlApplicationService } from '../../engine/admin/cxml-application-service.js';
import type { MessageAcceptor } from '../../engine/messages/message-acceptor.js';
import type { MessageService } from '../../engine/messages/message-service.js';
import type { NumberService } from '../../engine/admin/number-service.js';

export interface CompatDeps {
  readonly verifier: CredentialVerifier;
  readonly store: Store;
  readonly acceptor: MessageAcceptor;
  readonly messages: MessageService;
  readonly applications: CxmlApplicationService;
  readonly numbers: NumberService;
}
