import type { NumberGroupMembershipRecord, NumberGroupRecord } from '../../number-groups.js';
import type { PhoneNumberRecord } from '../../project.js';
import type { SeqPage } from './paging.js';

/** A member of a number group with the number it stands for. */
export interface GroupMember {
  readonly membership: NumberGroupMembershipRecord;
  readonly number: PhoneNumberRecord;
}

export interface NumberGroupRepository {
  /** With `maxPerProject` (inside a transaction): false, and nothing stored, when the project already has that many. */
  create(group: NumberGroupRecord, maxPerProject?: number): Promise<boolean>;
  get(projectId: string, id: string): Promise<NumberGroupRecord | undefined>;
  list(projectId: string, filter: { readonly nameContains?: string }, page: SeqPage): Promise<Array<NumberGroupRecord & { seq: number }>>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  update(projectId: string, id: string, patch: { readonly name?: string; readonly stickySender?: boolean }, at: number): Promise<NumberGroupRecord | undefined>;
  /** Deletes the group with its memberships and sticky assignments. */
  delete(projectId: string, id: string): Promise<boolean>;
  /** Members per group id (groups without members are absent). */
  countMembers(projectId: string, groupIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Adds a member unless the group already has `maxMembers` ('full'), or the group or the number is
   * no longer one of the project's ('gone': deleted since it was looked up); call inside a
   * transaction, which holds the group and the number until commit. Throws a unique-constraint
   * error when the number is already a member.
   */
  addMember(membership: NumberGroupMembershipRecord, maxMembers: number): Promise<'added' | 'full' | 'gone'>;
  getMembership(projectId: string, id: string): Promise<GroupMember | undefined>;
  listMembers(projectId: string, groupId: string, page: SeqPage): Promise<Array<GroupMember & { seq: number }>>;
  membershipSeqOf(projectId: string, id: string): Promise<number | undefined>;
  /** Every member of a group, oldest first (sender selection). */
  allMembers(projectId: string, groupId: string): Promise<GroupMember[]>;
  removeMember(projectId: string, membershipId: string): Promise<boolean>;
  /** The number a destination was given when it first heard from the group. */
  stickyNumber(projectId: string, groupId: string, destination: string): Promise<string | undefined>;
  /** Remember (or replace) the number a destination hears from. */
  setStickyNumber(projectId: string, groupId: string, destination: string, phoneNumberId: string, at: number): Promise<void>;
}
