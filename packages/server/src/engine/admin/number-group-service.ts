/** Creating, changing and deleting number groups and their memberships (rest-apis §A.7). */
import { AppError, detail } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { MAX_GROUP_MEMBERS, MAX_GROUP_NAME, type NumberGroupRecord } from '../../domain/number-groups.js';
import type { GroupMember, Store } from '../../domain/ports/store.js';
import { preview } from '../../domain/preview.js';

function invalid(attribute: string, message: string): AppError {
  return new AppError(detail('NUMBER_GROUP_FIELD_INVALID', { attribute, message }));
}

/** Check a create/update body (wire names); `name` is required, `sticky_sender` optional. */
function checkGroupBody(body: Record<string, unknown>): { name: string; stickySender?: boolean } {
  const blank = body.name === undefined || body.name === null || (typeof body.name === 'string' && body.name.trim() === '');
  if (blank) throw invalid('name', "Name can't be blank");
  if (typeof body.name !== 'string') throw invalid('name', `Name must be a string (got ${preview(body.name)})`);
  if (body.name.length > MAX_GROUP_NAME) throw invalid('name', `Name must be at most ${MAX_GROUP_NAME} characters`);
  const out: { name: string; stickySender?: boolean } = { name: body.name.trim() };
  if (body.sticky_sender !== undefined) {
    if (typeof body.sticky_sender !== 'boolean') throw invalid('sticky_sender', 'sticky_sender must be true or false');
    out.stickySender = body.sticky_sender;
  }
  return out;
}

export class NumberGroupService {
  constructor(
    private readonly deps: {
      readonly store: Store;
      readonly clock: Clock;
      readonly ids: IdGenerator;
      readonly isUniqueViolation: (err: unknown) => boolean;
      /** The most groups one project may have (`projects.maxNumberGroups`); none when absent. */
      readonly maxPerProject?: number;
    },
  ) {}

  async create(projectId: string, body: Record<string, unknown>): Promise<NumberGroupRecord> {
    const checked = checkGroupBody(body);
    const now = this.deps.clock.now();
    const group: NumberGroupRecord = { id: this.deps.ids.uuid(), projectId, name: checked.name, stickySender: checked.stickySender ?? false, createdAt: now, updatedAt: now };
    const max = this.deps.maxPerProject ?? Infinity;
    if (!(await this.deps.store.transaction((tx) => tx.numberGroups.create(group, max)))) {
      throw new AppError(detail('NUMBER_GROUP_LIMIT_REACHED', { message: `This project already has ${max} number groups, the most a project may have; delete one first.` }));
    }
    return group;
  }

  /** PUT: `name` required, as the API documents. */
  async update(projectId: string, id: string, body: Record<string, unknown>): Promise<NumberGroupRecord> {
    const checked = checkGroupBody(body);
    const g = await this.deps.store.numberGroups.update(projectId, id, checked, this.deps.clock.now());
    if (!g) throw this.notFound(id);
    return g;
  }

  async get(projectId: string, id: string): Promise<NumberGroupRecord> {
    const g = await this.deps.store.numberGroups.get(projectId, id);
    if (!g) throw this.notFound(id);
    return g;
  }

  async delete(projectId: string, id: string): Promise<void> {
    const removed = await this.deps.store.transaction((tx) => tx.numberGroups.delete(projectId, id));
    if (!removed) throw this.notFound(id);
  }

  async addMember(projectId: string, groupId: string, body: Record<string, unknown>): Promise<GroupMember> {
    await this.get(projectId, groupId);
    const phoneNumberId = body.phone_number_id;
    if (phoneNumberId === undefined || phoneNumberId === null || phoneNumberId === '') throw invalid('phone_number_id', 'phone_number_id is required: the id of one of your phone numbers.');
    // Ids are stored in lower case; a UUID is case-insensitive on input (RFC 9562 §4).
    const number = typeof phoneNumberId === 'string' && phoneNumberId.length <= 64 ? await this.deps.store.numbers.get(projectId, phoneNumberId.toLowerCase()) : undefined;
    if (!number) throw invalid('phone_number_id', `phone_number_id ${preview(phoneNumberId)} is not a phone number of your project`);
    const now = this.deps.clock.now();
    const membership = { id: this.deps.ids.uuid(), projectId, groupId, phoneNumberId: number.id, createdAt: now, updatedAt: now };
    let added: 'added' | 'full' | 'gone';
    try {
      added = await this.deps.store.transaction((tx) => tx.numberGroups.addMember(membership, MAX_GROUP_MEMBERS));
    } catch (err) {
      if (this.deps.isUniqueViolation(err)) throw new AppError(detail('NUMBER_ALREADY_IN_GROUP', { message: `${number.number} is already a member of this number group.` }));
      throw err;
    }
    // The group or the number was deleted since it was looked up above: answered as if it had been gone then.
    if (added === 'gone') {
      await this.get(projectId, groupId);
      throw invalid('phone_number_id', `phone_number_id ${preview(phoneNumberId)} is not a phone number of your project`);
    }
    if (added === 'full') throw new AppError(detail('NUMBER_GROUP_FULL', { message: `This number group already has ${MAX_GROUP_MEMBERS} members, the most a group may have; remove one first.` }));
    return { membership, number };
  }

  async getMember(projectId: string, membershipId: string): Promise<GroupMember> {
    const m = await this.deps.store.numberGroups.getMembership(projectId, membershipId);
    if (!m) throw AppError.of('NOT_FOUND', { message: `Number group membership ${membershipId} was not found.` });
    return m;
  }

  async removeMember(projectId: string, membershipId: string): Promise<void> {
    if (!(await this.deps.store.numberGroups.removeMember(projectId, membershipId))) {
      throw AppError.of('NOT_FOUND', { message: `Number group membership ${membershipId} was not found.` });
    }
  }

  private notFound(id: string): AppError {
    return AppError.of('NOT_FOUND', { message: `Number group ${id} was not found.` });
  }
}
