/** Registering, changing and releasing a project's phone numbers (there is no purchasing). */
import type { ErrorDetail } from '@switchboard/protocol';
import { AppError, detail } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { checkNumberPatch } from '../../domain/number-rules.js';
import { preview } from '../../domain/preview.js';
import { classifyNumber, plusAsSpaceHint } from '../../domain/phone-numbers.js';
import type { Bus } from '../../domain/ports/bus.js';
import type { PhoneNumberPatch, Repositories, Store } from '../../domain/ports/store.js';
import { DEFAULT_CAPABILITIES, type PhoneNumberRecord } from '../../domain/project.js';
import type { NumberDirectory } from '../routing/number-directory.js';
import { senderKey } from '../messages/sender-queues.js';
import { storeWithin, type AfterCommit } from './in-transaction.js';

/** How a surface names a number's fields in its error messages (the Compatibility API's `SmsApplicationSid`). */
export type FieldLabel = (wire: string) => string;

/** The fields that name one of the project's cXML applications (the inbound planner reads either). */
const APPLICATION_FIELDS = [
  ['message_laml_application_id', 'messageLamlApplicationId'],
  ['messaging_handler_resource_id', 'messagingHandlerResourceId'],
] as const;

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
      /** The most numbers one project may have (`projects.maxNumbers`); none when absent. */
      readonly maxPerProject?: number;
      /** Set by `within`: the notices of changes wait for the caller's commit. */
      readonly afterCommit?: AfterCommit;
    },
  ) {}

  /** This service writing in the caller's transaction `tx`; its notices wait for `afterCommit`. */
  within(tx: Repositories, afterCommit: AfterCommit): NumberService {
    return new NumberService({ ...this.deps, store: storeWithin(this.deps.store, tx), afterCommit });
  }

  /** Register a number with a project, with optional handler settings in wire (snake_case) form. */
  async register(projectId: string, body: Record<string, unknown>, label?: FieldLabel): Promise<PhoneNumberRecord> {
    const number = body.number;
    const kind = typeof number === 'string' ? classifyNumber(number.trim()) : undefined;
    if (!kind) throw AppError.of('NUMBER_INVALID', { message: `The number ${preview(number)} must be E.164 (+ followed by digits) or a 5 to 6 digit short code.${plusAsSpaceHint(number)}` });
    const { patch, errors } = await this.checkPatch(projectId, body, label);
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
    const max = this.deps.maxPerProject ?? Infinity;
    let added: boolean;
    try {
      added = await this.deps.store.transaction((tx) => tx.numbers.create(record, max));
    } catch (err) {
      if (this.deps.isUniqueViolation(err)) throw new AppError(detail('NUMBER_TAKEN', { message: `${record.number} is already registered on this server.` }));
      throw err;
    }
    if (!added) throw new AppError(detail('NUMBER_LIMIT_REACHED', { message: `This project already has ${max} phone numbers, the most a project may have; release one first.` }));
    this.changed(projectId);
    return record;
  }

  /** Apply a partial update in wire form; undefined when the number is not the project's. */
  async update(projectId: string, id: string, body: Record<string, unknown>, label?: FieldLabel): Promise<PhoneNumberRecord | undefined> {
    // Another project's number (or none) is not found, whatever the body says.
    const before = await this.deps.store.numbers.get(projectId, id);
    if (!before) return undefined;
    const { patch, errors } = await this.checkPatch(projectId, body, label, before);
    if (errors.length) throw new AppError(errors);
    const now = this.deps.clock.now();
    const updated = await this.deps.store.numbers.update(projectId, id, patch, now);
    // A new rate applies to the messages already given slots at the old one too: they are planned again.
    if (updated && patch.messagesPerSecond !== undefined && (before.messagesPerSecond ?? null) !== (updated.messagesPerSecond ?? null)) {
      const key = senderKey(projectId, updated.number);
      const released = await this.deps.store.transaction((tx) => tx.jobs.releaseSenderSlots(key, projectId, updated.number, now));
      if (released) this.notify(() => this.deps.bus.publish('work.available', { queue: 'dispatch' }));
    }
    if (updated) this.changed(projectId);
    return updated;
  }

  async release(projectId: string, id: string): Promise<boolean> {
    const number = await this.deps.store.numbers.get(projectId, id);
    const removed = await this.deps.store.numbers.delete(projectId, id);
    if (!removed) return false;
    this.changed(projectId);
    // Its messages waiting for rate slots (perhaps hours away) are claimed now, and fail there
    // (engine/messages/waited-checks.ts): the number may be another project's by their slots.
    if (number) {
      const now = this.deps.clock.now();
      const released = await this.deps.store.transaction((tx) => tx.jobs.releaseSenderSlots(senderKey(projectId, number.number), projectId, number.number, now));
      if (released) this.notify(() => this.deps.bus.publish('work.available', { queue: 'dispatch' }));
    }
    return true;
  }

  /**
   * The wire body as a patch, or its problems. An application named by id must be one of the
   * project's own: another project's is refused exactly as an unknown id is (same error, same
   * message), so the answer tells nothing about other projects. The stored id is the application's.
   * The value the number has already passes unchecked (`before`): a GET, edit, PUT round trip of a
   * number whose application was deleted since still saves (the number keeps the id, as before).
   */
  private async checkPatch(projectId: string, body: Record<string, unknown>, label?: FieldLabel, before?: PhoneNumberRecord): Promise<{ patch: PhoneNumberPatch; errors: ErrorDetail[] }> {
    const checked = checkNumberPatch(body, label);
    const patch: { -readonly [K in keyof PhoneNumberPatch]: PhoneNumberPatch[K] } = { ...checked.patch };
    const errors = [...checked.errors];
    for (const [wire, field] of APPLICATION_FIELDS) {
      const id = patch[field];
      if (id === undefined || id === null || id === before?.[field]) continue;
      const app = await this.deps.store.applications.get(projectId, id.toLowerCase());
      if (app) patch[field] = app.id;
      else {
        const name = label ? label(wire) : wire;
        errors.push(detail('NUMBER_APPLICATION_INVALID', { attribute: name, message: `${name} ${preview(id)} is not a cXML application of your project.` }));
      }
    }
    return { patch, errors };
  }

  private changed(projectId: string): void {
    this.notify(() => {
      this.deps.directory.invalidate();
      this.deps.bus.publish('numbers.changed', { projectId });
    });
  }

  /** Tell others of a change now, or (`within` a transaction) once it committed. */
  private notify(effect: () => void): void {
    if (this.deps.afterCommit) this.deps.afterCommit.add(effect);
    else effect();
  }
}
