/** Number groups (compat `MessagingServiceSid`): sets of a project's numbers a message can be sent from. */

/** A number group. */
export interface NumberGroupRecord {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  /** Keep choosing the same member for a destination. */
  readonly stickySender: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A phone number's membership of a group. */
export interface NumberGroupMembershipRecord {
  readonly id: string;
  readonly projectId: string;
  readonly groupId: string;
  readonly phoneNumberId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Longest accepted group name. */
export const MAX_GROUP_NAME = 255;
