/** Registering, changing and releasing a project's phone numbers (there is no purchasing). */
import { AppError, detail } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { checkNumberPatch } from '../../domain/number-rules.js';
import { preview } from '../../domain/preview.js';
import { classifyNumber } from '../../domain/phone-numbers.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { Store } from '../../domain/ports/store.js';
import { DEFAULT_CAPABILITIES, type PhoneNumberRecord } from '../../domain/project.js';
import type { NumberDirectory } from '../routing/number-directory.js';
import { senderKey } from '../messages/sender-queues.js';

export class NumberService {
  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly ids: IdGenerator;
      readonly bus: Bus;
      readonly directory: NumberDirectory;
      /** Tells whether a database error is a unique-constraint violation. */
      readonly isUniqueViolation: (err: unknown) => boolean;
    },
  ) {}

  /** Register a number with a project, with optional handler settings in wire (snake_case) form. */
  async register(projectId: string, body: Record<string, unknown>): Promise<PhoneNumberRecord> {
    const number = body.number;
    const kind = typeof number === 'string' ? classifyNumber(number.trim()) : undefined;
    if (!kind) throw AppError.of('NUMBER_INVALID', { message: `The number ${preview(number)} must be E.164 (+ followed by digits) or a 5 to 6 digit short code.` });
    const { patch, errors } = checkNumberPatch(body);
    const capabilities = patch.capabilities ?? (kind.type === 'shortcode' ? ['sms', 'mms'] : [...DEFAULT_CAPABILITIES]);
    if (errors.length) throw new AppError(errors);
    const now = this.deps.clock.now();
    const record: PhoneNumberRecord = {
      id: this.deps.ids.uuid(),
      projectId,
      number: (number as string).trim(),
      name: patch.name ?? null,
      numberType: kind.type,
      countryCode: kind.countryCode,
      capabilities,
      messageHandler: patch.messageHandler ?? null,
      messageRequestUrl: patch.messageRequestUrl ?? null,
      messageRequestMethod: patch.messageRequestMethod ?? 'POST',
      messageFallbackUrl: patch.messageFallbackUrl ?? null,
      messageFallbackMethod: patch.messageFallbackMethod ?? 'POST',
      messageLamlApplicationId: patch.messageLamlApplicationId ?? null,
      messageRelayTopic: patch.messageRelayTopic ?? null,
      messageRelayContext: patch.messageRelayContext ?? null,
      messagingHandlerResourceId: patch.messagingHandlerResourceId ?? null,
      messagesPerSecond: patch.messagesPerSecond ?? null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.deps.store.numbers.create(record);
    } catch (err) {
      if (this.deps.isUniqueViolation(err)) throw new AppError(detail('NUMBER_TAKEN', { message: `${record.number} is already registered on this server.` }));
      throw err;
    }
    this.changed(projectId);
    return record;
  }

  /** Apply a partial update in wire form; undefined when the number is not the project's. */
  async update(projectId: string, id: string, body: Record<string, unknown>): Promise<PhoneNumberRecord | undefined> {
    const { patch, errors } = checkNumberPatch(body);
    if (errors.length) throw new AppError(errors);
    const before = patch.messagesPerSecond === undefined ? undefined : await this.deps.store.numbers.get(projectId, id);
    const now = this.deps.clock.now();
    const updated = await this.deps.store.numbers.update(projectId, id, patch, now);
    // A new rate applies to the messages already given slots at the old one too: they are planned again.
    if (updated && before && (before.messagesPerSecond ?? null) !== (updated.messagesPerSecond ?? null)) {
      const key = senderKey(projectId, updated.number);
      const released = await this.deps.store.transaction((tx) => tx.jobs.releaseSenderSlots(key, projectId, updated.number, now));
      if (released) this.deps.bus.publish('work.available', { queue: 'dispatch' });
    }
    if (updated) this.changed(projectId);
    return updated;
  }

  async release(projectId: string, id: string): Promise<boolean> {
    const removed = await this.deps.store.numbers.delete(projectId, id);
    if (removed) this.changed(projectId);
    return removed;
  }

  private changed(projectId: string): void {
    this.deps.directory.invalidate();
    this.deps.bus.publish('numbers.changed', { projectId });
  }
}
