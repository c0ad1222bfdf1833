/**
 * Lists in progress per project on this node. A list page (up to 1,000 messages) costs a query, the
 * rows and their serialisation: one project running many at once, over many connections, would
 * take the node's CPU (and, on PostgreSQL, its pool of connections) from every other project's
 * sends. So each project runs at most `perProject` lists at once (`util/project-slots.ts`); up to
 * `WAITING_PER_SLOT` (project-slot-route.ts) times as many more wait for a slot, holding no connection of the pool
 * and costing nothing but their parsed request (a client reading several lists at once, as
 * `Promise.all` does, is served rather than refused), and one more is answered 429
 * (`project-slot-route.ts`; Compatibility API 20429, as Twilio answers an account's excess
 * concurrent requests).
 *
 * Only the list routes are wrapped (`boundedList`): a send or a single fetch never comes here. A
 * list whose client went away still holds its slot until its query ends.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProjectSlots } from '../util/project-slots.js';
import { boundedBy, type SlotRule } from './project-slot-route.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Lists in progress per project (`ProjectSlots` with a waiting room); null: not limited. */
    listSlots: ProjectSlots | null;
  }
}

/** Limit the lists of every surface of `app` (call before registering them). */
export function useListSlots(app: FastifyInstance, slots: ProjectSlots | null): void {
  app.decorate('listSlots', slots);
}

const LISTS: SlotRule = {
  slotsOf: (request) => request.server.listSlots,
  holdAcrossTurn: true,
  refusal: (slots) => `Too Many Requests: this project already has ${slots.perProject} list requests in progress${slots.maxWaiting ? ` and ${slots.maxWaiting} waiting` : ''} on this server; retry when one has finished.`,
};

/** A list route's handler, run only while its project has a slot free. Anything else the route does is unchanged. */
export function boundedList<R extends FastifyRequest, T>(handler: (request: R, reply: FastifyReply) => Promise<T>): (request: R, reply: FastifyReply) => Promise<T> {
  return boundedBy(LISTS, handler);
}
