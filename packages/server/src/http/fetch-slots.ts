/**
 * Single fetches in progress per project on this node: a message by id on every surface (native
 * `GET /api/messaging/logs/{id}`, Compatibility API `Messages/{sid}` and its media, the console's
 * message detail). One fetch is cheap, but a project pipelining them on a hundred connections had
 * them served back to back while another client waited about 4 s: nothing bounded a project's
 * share of the node's reads but lists and sends. So each project runs at most
 * `maxListRequestsPerProject × FETCHES_PER_LIST_SLOT` fetches at once (32 by default), held across
 * a turn of the event loop as lists are (`project-slot-route.ts`), with their waiting room
 * (`WAITING_PER_SLOT` per slot, as lists): one more than those is answered 429 in its surface's shape (Compatibility API 20429) with `Retry-After`, as Twilio
 * answers an account over its concurrent requests. Sends never come here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProjectSlots } from '../util/project-slots.js';
import { boundedBy, type SlotRule } from './project-slot-route.js';

/**
 * Fetches a project may run at once per list it may run (`http.maxListRequestsPerProject`): a
 * fetch reads one row where a list page reads up to 1,000. A multiple of that setting, not a
 * setting of its own (the settings file has no room for one).
 */
export const FETCHES_PER_LIST_SLOT = 8;

declare module 'fastify' {
  interface FastifyInstance {
    /** Single fetches in progress per project (`ProjectSlots` with a waiting room); null: not limited. */
    fetchSlots: ProjectSlots | null;
  }
}

/** Limit the single fetches of every surface of `app` (call before registering them). */
export function useFetchSlots(app: FastifyInstance, slots: ProjectSlots | null): void {
  app.decorate('fetchSlots', slots);
}

const FETCHES: SlotRule = {
  slotsOf: (request) => request.server.fetchSlots,
  holdAcrossTurn: true,
  refusal: (slots) => `Too Many Requests: this project already has ${slots.perProject} fetches in progress${slots.maxWaiting ? ` and ${slots.maxWaiting} waiting` : ''} on this server; retry when one has finished.`,
};

/** A single fetch's handler, run only while its project has a slot free. */
export function boundedFetch<R extends FastifyRequest, T>(handler: (request: R, reply: FastifyReply) => Promise<T>): (request: R, reply: FastifyReply) => Promise<T> {
  return boundedBy(FETCHES, handler);
}
