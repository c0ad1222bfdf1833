/**
 * Per-sender messaging settings: smart encoding and the opt-out reply texts, set for a project
 * (scope ''), a number group (its id) or a number (its E.164 form); the narrowest scope that sets a
 * field wins (number → group → project → default). Cached per project because a UCS-2 send asks;
 * a change drops every node's copy through the bus, and entries expire anyway after `ttlMs`.
 */
import { MAX_BODY_LENGTH, planMessage, smartEncode } from '@switchboard/protocol';
import type { Bus } from '../../domain/ports/bus.js';
import type { MessagingSettings, MessagingSettingsPatch, OptOutRepository } from '../../domain/ports/store.js';
import type { CheckedSend } from '../../domain/send-request.js';
import { GuardedCache } from '../../util/guarded-cache.js';
import { dropOnChange } from '../../domain/bus-freshness.js';

declare module '../../domain/ports/bus.js' {
  interface BusTopics {
    /** A project's messaging settings changed: every node drops its cached copy. */
    'messaging.settings.changed': { readonly projectId: string };
  }
}

/**
 * Default replies, modelled on Twilio's default texts for long codes
 * (https://help.twilio.com/articles/223134027-Twilio-support-for-opt-out-keywords-SMS-STOP-filtering-).
 */
export const DEFAULT_REPLIES = {
  stop: 'You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.',
  start: 'You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
  help: 'Reply STOP to unsubscribe. Msg&Data Rates May Apply.',
} as const;

/** The settings a sender ends up with, every field decided. */
export interface EffectiveSettings {
  readonly smartEncoding: boolean;
  readonly replies: boolean;
  readonly stopReply: string;
  readonly startReply: string;
  readonly helpReply: string;
}

export const PROJECT_SCOPE = '';

/** Resolve each field from the narrowest scope that sets it. */
export function effectiveSettings(own: ReadonlyMap<string, MessagingSettings>, scopes: readonly string[]): EffectiveSettings {
  const pick = <K extends keyof MessagingSettings>(k: K): MessagingSettings[K] | null => {
    for (const scope of [...scopes, PROJECT_SCOPE]) {
      const v = own.get(scope)?.[k];
      if (v !== undefined && v !== null) return v;
    }
    return null;
  };
  return {
    smartEncoding: pick('smartEncoding') ?? false,
    replies: pick('replies') ?? true,
    stopReply: pick('stopReply') ?? DEFAULT_REPLIES.stop,
    startReply: pick('startReply') ?? DEFAULT_REPLIES.start,
    helpReply: pick('helpReply') ?? DEFAULT_REPLIES.help,
  };
}

type Content = Omit<CheckedSend, 'to' | 'from'>;

export class MessagingSettingsCache {
  /** Every scope's own settings by project; a load that began before a change heard is not kept. */
  private readonly cache: GuardedCache<Map<string, MessagingSettings>>;

  constructor(
    private readonly deps: { readonly repository: OptOutRepository; readonly bus: Bus; readonly now: () => number },
    ttlMs = 30_000,
    maxEntries = 10_000,
  ) {
    this.cache = new GuardedCache({ load: (projectId) => deps.repository.settings(projectId), now: deps.now, ttlMs, maxEntries });
    dropOnChange(deps.bus, 'messaging.settings.changed', ({ projectId }) => this.cache.invalidate(projectId), () => this.cache.invalidateAll());
  }

  /** Every scope's own settings of a project. */
  own(projectId: string): Promise<ReadonlyMap<string, MessagingSettings>> {
    return this.cache.get(projectId);
  }

  async update(projectId: string, scope: string, patch: MessagingSettingsPatch): Promise<MessagingSettings> {
    const saved = await this.deps.repository.updateSettings(projectId, scope, patch, this.deps.now());
    this.deps.bus.publish('messaging.settings.changed', { projectId });
    return saved;
  }

  /**
   * A UCS-2 SMS with its GSM-7 look-alikes replaced, when the request (`requested`) or else the
   * sender's setting asks for it: re-planned, so `segments` and `encoding` are what the carrier gets.
   * The 1600-character limit was checked on the body as given; a replacement can lengthen it (`…` →
   * `...`), and a replaced body past the limit is not sent: the body goes as given, in UCS-2.
   * Nor is one that would need more segments than the body as given (an emoji keeps it UCS-2 while
   * `…` became three characters; 70 `½` are one UCS-2 segment, 210 GSM-7 characters two): smart
   * encoding is there to save segments, never to cost one.
   */
  async smartEncode(projectId: string, content: Content, from: string, numberGroupId: string | null, requested: boolean | undefined): Promise<Content> {
    const wanted = requested ?? effectiveSettings(await this.own(projectId), numberGroupId ? [from, numberGroupId] : [from]).smartEncoding;
    if (!wanted) return content;
    const { body } = smartEncode(content.body);
    if (body === content.body || body.length > MAX_BODY_LENGTH) return content;
    const plan = planMessage({ body, mediaCount: 0 });
    if (plan.segments > content.segments) return content;
    return { ...content, body, encoding: plan.encoding, segments: plan.segments };
  }
}
