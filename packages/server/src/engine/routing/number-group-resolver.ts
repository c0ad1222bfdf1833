/**
 * Sender resolution with number groups (compat `MessagingServiceSid`, rest-apis §A.7): a message
 * sent through a group goes out from a member number capable of its kind. With `sticky_sender`
 * a destination keeps hearing from the number it first heard from; the first choice is a hash of
 * the destination, so concurrent first messages to one recipient agree on the sender. A message
 * to one of the group's own numbers goes out from another member when there is one.
 */
import { detail } from '../../domain/app-error.js';
import type { Clock } from '../../domain/clock.js';
import { isUuid } from '../../domain/ids.js';
import { isValidDestination } from '../../domain/phone-numbers.js';
import { preview } from '../../domain/preview.js';
import type { GroupMember, NumberGroupRepository } from '../../domain/ports/store.js';
import type { SenderQuery, SenderResolution, SenderResolver } from './sender-resolver.js';

/** FNV-1a 32-bit hash: a stable spread of destinations over members. */
function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class NumberGroupSenderResolver implements SenderResolver {
  constructor(
    /** Resolution of an explicit `from` (ownership and capability). */
    private readonly owned: SenderResolver,
    private readonly groups: NumberGroupRepository,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  async resolve(q: SenderQuery): Promise<SenderResolution> {
    if (!q.numberGroupId) return this.owned.resolve(q);
    // An id of the wrong pattern (a Twilio MG… sid) is told apart from an unknown one, as Twilio does (21705 / 21701).
    if (!isUuid(q.numberGroupId)) return { errors: [detail('NUMBER_GROUP_ID_MALFORMED', { message: `The number group ${preview(q.numberGroupId)} (MessagingServiceSid) is not a number group id: those are UUIDs.` })] };
    // Ids are stored lower-case; the error names the group as the request wrote it.
    const group = await this.groups.get(q.projectId, q.numberGroupId.toLowerCase());
    if (!group) return { errors: [detail('NUMBER_GROUP_INVALID', { message: `The number group ${q.numberGroupId} does not exist in your project.` })] };

    // An explicit From wins; the message still records the group it was sent through.
    if (q.from !== null) {
      const r = await this.owned.resolve(q);
      return 'errors' in r ? r : { from: r.from, numberGroupId: group.id };
    }

    const capable = (await this.groups.allMembers(q.projectId, group.id)).filter((m) => m.number.capabilities.includes(q.kind));
    if (capable.length === 0) {
      return { errors: [detail('NUMBER_GROUP_NO_CAPABLE_NUMBER', { message: `The number group ${group.id} has no ${q.kind.toUpperCase()}-capable number.` })] };
    }
    // A member is not chosen to send to itself while another can (the Compatibility API refuses a
    // self-send, 21266): only a group whose one capable member is the destination picks it.
    const others = capable.filter((m) => m.number.number !== q.to);
    const members = others.length > 0 ? others : capable;
    if (!group.stickySender) return { from: members[Math.floor(this.random() * members.length)]!.number.number, numberGroupId: group.id };

    const sticky = await this.groups.stickyNumber(q.projectId, group.id, q.to);
    const kept = sticky === undefined ? undefined : members.find((m) => m.number.id === sticky);
    if (kept) return { from: kept.number.number, numberGroupId: group.id };
    const chosen: GroupMember = members[stableHash(q.to) % members.length]!;
    // Only a well-formed destination is remembered; a bad one fails validation anyway.
    if (isValidDestination(q.to)) await this.groups.setStickyNumber(q.projectId, group.id, q.to, chosen.number.id, this.clock.now());
    return { from: chosen.number.number, numberGroupId: group.id };
  }
}
