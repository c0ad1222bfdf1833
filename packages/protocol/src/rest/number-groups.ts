/**
 * Wire shapes of the native number-groups API (`/api/relay/rest/number_groups`, rest-apis §A.7).
 * A number group's id is what the Compatibility API takes as `MessagingServiceSid`.
 */
import type { NumberCapability } from './native.js';

/** A group of the project's numbers that messages can be sent from. */
export interface NumberGroup {
  id: string;
  name: string;
  /** When true, a destination always hears from the same member number. */
  sticky_sender: boolean;
  phone_number_count: number;
  created_at: string;
  updated_at: string;
}

/** Body of `POST` and `PUT /api/relay/rest/number_groups[/{id}]`. */
export interface NumberGroupRequest {
  name: string;
  sticky_sender?: boolean;
}

/** A number's membership of a group. */
export interface NumberGroupMembership {
  id: string;
  number_group_id: string;
  phone_number: { id: string; name: string | null; number: string; capabilities: NumberCapability[] };
  created_at: string;
  updated_at: string;
}

/** Body of `POST /api/relay/rest/number_groups/{id}/number_group_memberships`. */
export interface NumberGroupMembershipRequest {
  phone_number_id: string;
}
