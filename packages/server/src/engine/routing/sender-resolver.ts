/**
 * Decides which of the project's numbers a message is sent from, and whether it may be:
 * the `from` must be registered with the project and capable of the message's kind.
 * (Number groups extend this in the Compatibility API's `MessagingServiceSid`.)
 */
import type { ErrorDetail, MessageKind } from '@switchboard/protocol';
import { detail } from '../../domain/app-error.js';
import { TEST_VALID_SENDER } from '../../domain/test-credentials.js';
import type { NumberDirectory } from './number-directory.js';

/** What the sender resolution needs to know about a message. */
export interface SenderQuery {
  readonly projectId: string;
  readonly from: string | null;
  readonly numberGroupId: string | null;
  readonly to: string;
  readonly kind: MessageKind;
}

/** The number to send from, or why there is none. */
export type SenderResolution = { readonly from: string; readonly numberGroupId: string | null } | { readonly errors: ErrorDetail[] };

export interface SenderResolver {
  resolve(query: SenderQuery): Promise<SenderResolution>;
}

/** The sender must be one of the project's numbers with the needed capability. */
export class OwnedNumberResolver implements SenderResolver {
  constructor(private readonly numbers: NumberDirectory) {}

  async resolve(q: SenderQuery): Promise<SenderResolution> {
    if (q.from === null) return { errors: [detail('FROM_REQUIRED')] };
    const owned = await this.numbers.senderOwnedBy(q.projectId, q.from);
    if (!owned) {
      // Twilio's test sender with a live token: code written for test credentials, run with the live ones.
      const hint = q.from === TEST_VALID_SENDER ? ` ${TEST_VALID_SENDER} is the sender of test credentials: send from it with a test token, or from one of your numbers with a live one.` : '';
      return { errors: [detail('FROM_NOT_OWNED', { message: `From ${q.from} must be a phone number or short code registered with your project.${hint}` })] };
    }
    if (!owned.capabilities.includes(q.kind)) {
      return { errors: [detail('FROM_MISSING_CAPABILITY', { message: `The number ${q.from} is not ${q.kind.toUpperCase()}-capable.` })] };
    }
    return { from: q.from, numberGroupId: null };
  }
}
