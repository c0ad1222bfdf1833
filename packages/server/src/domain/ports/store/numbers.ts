import type { NumberType } from '../../phone-numbers.js';
import type { PhoneNumberRecord } from '../../project.js';
import type { SeqPage } from './paging.js';

/** Filters of the phone-number list. */
export interface NumberListFilter {
  readonly nameContains?: string;
  /**
   * The whole name as the Compatibility API's `friendly_name` shows it: the name, or the number of
   * one registered without a name (its `FriendlyName` filter, an exact match as SignalWire and Twilio answer it).
   */
  readonly friendlyName?: string;
  readonly numberContains?: string;
  /** Like `numberContains`, with `*` standing for any one digit (the Compatibility API's `PhoneNumber`). */
  readonly numberPattern?: string;
  /** Only numbers of this type (the Compatibility API's `IncomingPhoneNumbers/Local` and `/TollFree`). */
  readonly numberType?: NumberType;
  /** Every type but this one: the phone-number lists leave short codes to their own resource. */
  readonly notNumberType?: NumberType;
}

/** Fields of a number that may be changed after registration. */
export type PhoneNumberPatch = Partial<
  Pick<
    PhoneNumberRecord,
    | 'name'
    | 'capabilities'
    | 'messageHandler'
    | 'messageRequestUrl'
    | 'messageRequestMethod'
    | 'messageFallbackUrl'
    | 'messageFallbackMethod'
    | 'messageLamlApplicationId'
    | 'messageRelayTopic'
    | 'messageRelayContext'
    | 'messagesPerSecond'
    | 'messagingHandlerResourceId'
  >
>;

export interface PhoneNumberRepository {
  /**
   * Throws a unique-constraint error (see `isUniqueViolation`) when the number is already registered.
   * With `maxPerProject` (inside a transaction): false, and nothing stored, when the project already has that many.
   */
  create(number: PhoneNumberRecord, maxPerProject?: number): Promise<boolean>;
  get(projectId: string, id: string): Promise<PhoneNumberRecord | undefined>;
  getByNumber(projectId: string, number: string): Promise<PhoneNumberRecord | undefined>;
  /** The own rates (`messagesPerSecond`) of these numbers of the project, as stored now; a number not the project's is absent. */
  ratesOf(projectId: string, numbers: readonly string[]): Promise<Map<string, number | null>>;
  /** Cross-project by nature: which project (if any) owns this number. Used only to route inbound messages. */
  resolveOwner(number: string): Promise<PhoneNumberRecord | undefined>;
  list(projectId: string, filter: NumberListFilter, page: SeqPage): Promise<Array<PhoneNumberRecord & { seq: number }>>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  update(projectId: string, id: string, patch: PhoneNumberPatch, at: number): Promise<PhoneNumberRecord | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
}
