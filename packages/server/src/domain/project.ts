import type { MessageHandler, NumberCapability } from '@switchboard/protocol';
import type { TokenScope } from './credentials.js';
import type { NumberType } from './phone-numbers.js';

/** A tenant: everything else belongs to exactly one project. */
export interface ProjectRecord {
  readonly id: string;
  readonly name: string;
  /** `PSK_…` key that signs this project's webhooks. */
  readonly signingKey: string;
  readonly createdAt: number;
}

/** An API token as stored: only its digest is kept. */
export interface ApiTokenRecord {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly tokenHash: Buffer;
  readonly tokenPrefix: string;
  readonly scopes: readonly TokenScope[];
  readonly createdAt: number;
  readonly revokedAt: number | null;
  /**
   * A test token (Twilio's test credentials): its sends are checked and answered but never sent or
   * stored, and it may use nothing else (see engine/messages/test-credentials.ts).
   */
  readonly test: boolean;
}

/** HTTP methods a messaging webhook may use. */
export type WebhookMethod = 'GET' | 'POST';

/** A phone number registered with a project, with its inbound message handler. */
export interface PhoneNumberRecord {
  readonly id: string;
  readonly projectId: string;
  readonly number: string;
  readonly name: string | null;
  readonly numberType: NumberType;
  readonly countryCode: string | null;
  readonly capabilities: readonly NumberCapability[];
  readonly messageHandler: MessageHandler | null;
  readonly messageRequestUrl: string | null;
  readonly messageRequestMethod: WebhookMethod;
  readonly messageFallbackUrl: string | null;
  readonly messageFallbackMethod: WebhookMethod;
  readonly messageLamlApplicationId: string | null;
  readonly messageRelayTopic: string | null;
  readonly messageRelayContext: string | null;
  readonly messagingHandlerResourceId: string | null;
  /** Segments per second it may send (0: no limit); null or absent: its type's default (docs/guides/sending-real-traffic.md). */
  readonly messagesPerSecond?: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Capabilities a number gets when none are given at registration. */
export const DEFAULT_CAPABILITIES: readonly NumberCapability[] = ['voice', 'sms', 'mms'];
