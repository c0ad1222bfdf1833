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

/**
 * Most members a group may have: Twilio's limit of a Messaging Service's sender pool (error 21714).
 * A send through a group reads its members, so an unbounded group made each of a project's sends
 * cost the node as much as the project liked.
 */
export const MAX_GROUP_MEMBERS = 400;
