/**
 * Sends (message creates) of the REST surfaces run in their project's send slots
 * (`util/project-slots.ts`, shared with RELAY's `messaging.send`); past the waiting room a send is
 * refused 429 (Compatibility API 20429) with `Retry-After`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProjectSlots } from '../util/project-slots.js';
import { boundedBy, type SlotRule } from './project-slot-route.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends in progress per project (see `ProjectSlots`); null: not limited. */
    sendSlots: ProjectSlots | null;
  }
}

/** Limit the sends of every surface of `app` (call before registering them). */
export function useSendSlots(app: FastifyInstance, slots: ProjectSlots | null): void {
  app.decorate('sendSlots', slots);
}

const SENDS: SlotRule = {
  slotsOf: (request) => request.server.sendSlots,
  holdAcrossTurn: false,
  refusal: (slots) => `Too Many Requests: this project already has ${slots.perProject} sends in progress and ${slots.maxWaiting} waiting on this server; retry when one has finished.`,
};

/** A send route's handler, run once its project has a slot. */
export function boundedSend<R extends FastifyRequest, T>(handler: (request: R, reply: FastifyReply) => Promise<T>): (request: R, reply: FastifyReply) => Promise<T> {
  return boundedBy(SENDS, handler);
}
