/**
 * What the surfaces may read: the repositories' query methods, narrowed by type so a surface holding
 * them cannot write. Every write goes through an engine service (the message journal, the admin
 * services, the webhook outbox). Each method takes the caller's project id.
 */
import type {
  CxmlApplicationRepository,
  HandsetInboxRepository,
  MessageEventRepository,
  MessageMediaRepository,
  MessageRepository,
  NumberGroupRepository,
  PhoneNumberRepository,
  ProjectRepository,
  Repositories,
  WebhookRepository,
} from '../domain/ports/store.js';
import type { Clock } from '../domain/clock.js';
import { PageTokens } from './page-tokens.js';

export interface EngineReads {
  readonly messages: Pick<MessageRepository, 'get' | 'getMany' | 'list' | 'listScanned' | 'seqOf' | 'listConversations' | 'listConversationsScanned' | 'countInCxmlSession'>;
  readonly events: Pick<MessageEventRepository, 'listForMessage' | 'listRecentForContexts'>;
  readonly media: Pick<MessageMediaRepository, 'get' | 'listForMessage' | 'seqOf'>;
  readonly numbers: Pick<PhoneNumberRepository, 'get' | 'getByNumber' | 'list' | 'seqOf'>;
  readonly numberGroups: Pick<NumberGroupRepository, 'get' | 'list' | 'seqOf' | 'countMembers' | 'listMembers' | 'membershipSeqOf'>;
  readonly applications: Pick<CxmlApplicationRepository, 'get' | 'list' | 'seqOf'>;
  readonly webhooks: Pick<WebhookRepository, 'get' | 'listForMessage' | 'countCxmlDocuments' | 'listAttempts' | 'listForProject' | 'countByStatus'>;
  /** The simulator's handset inbox: what simulated phones received (clearing it is the one write). */
  readonly handsets: Pick<HandsetInboxRepository, 'list' | 'clear'>;
  readonly projects: Pick<ProjectRepository, 'get'>;
  /** Page tokens: the position a token names, sealed (engine/page-tokens.ts). */
  readonly pageTokens: PageTokens;
}

/** The read side of a store. */
export function readsOf(store: Repositories, clock: Clock): EngineReads {
  return {
    messages: store.messages,
    events: store.events,
    media: store.media,
    numbers: store.numbers,
    numberGroups: store.numberGroups,
    applications: store.applications,
    webhooks: store.webhooks,
    handsets: store.handsets,
    projects: store.projects,
    pageTokens: new PageTokens({ keys: store.serverKeys, clock }),
  };
}
