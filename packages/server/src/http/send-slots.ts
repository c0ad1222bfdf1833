/**
 * Sends (message creates) of the REST surfaces run in their project's send slots
 * (`util/project-slots.ts`, shared with RELAY's `messaging.send`); past the waiting room a send is
 * refused 429 (Compatibility API 20429) with `Retry-After`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import type { ProjectSlots } from '../util/project-slots.js';
import { principalOf } from './auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends in progress per project (see `ProjectSlots`); null: not limited. */
    sendSlots: ProjectSlots | null;
  }
}

/** What a refused send is told to wait, in seconds: a send takes milliseconds. */
const RETRY_AFTER_SECONDS = 1;

/** Limit the sends of every surface of `app` (call before registering them). */
export function useSendSlots(app: FastifyInstance, slots: ProjectSlots | null): void {
  app.decorate('sendSlots', slots);
}

/** A send route's handler, run once its project has a slot (authenticated routes only). */
export function boundedSend<R extends FastifyRequest, T>(handler: (request: R, reply: FastifyReply) => Promise<T>): (request: R, reply: FastifyReply) => Promise<T> {
  return async (request, reply) => {
    const slots = request.server.sendSlots;
    if (!slots) return handler(request, reply);
    const { projectId } = principalOf(request);
    const turn = slots.take(projectId);
    if (!turn) {
      request.retryAfterSeconds = RETRY_AFTER_SECONDS;
      throw AppError.of('RATE_LIMITED', {
        message: `Too Many Requests: this project already has ${slots.perProject} sends in progress and ${slots.maxWaiting} waiting on this server; retry when one has finished.`,
      });
    }
    await turn;
    try {
      return await handler(request, reply);
    } finally {
      slots.release(projectId);
    }
  };
}
