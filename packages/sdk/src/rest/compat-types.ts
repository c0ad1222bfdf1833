/**
 * Wire shapes of the Compatibility (Twilio-shaped) Messages API as the SDK uses them — the shared
 * definitions of `@switchboard/protocol` under the SDK's names.
 */
import type { CompatCreateMessageParams, CompatListMessagesParams } from '@switchboard/protocol';

export type { CompatMessage, CompatMessagePage } from '@switchboard/protocol';

/** Parameters of a compat send (form fields, Twilio names). */
export type CompatCreateMessage = CompatCreateMessageParams;

/** Filters and paging of the compat message list. */
export type CompatListMessages = CompatListMessagesParams;
