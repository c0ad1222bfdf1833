/**
 * Lists in progress per project on this node. A list page (up to 1,000 messages) costs a query, the
 * rows and their serialisation: one project running many at once, over many connections, would
 * take the node's CPU (and, on PostgreSQL, its pool of connections) from every other project's
 * sends. So each project runs at most `perProject` lists at once (`util/project-slots.ts`, with no
 * waiting room); one more is answered 429 in its
 * surface's shape (Compatibility API 20429, as Twilio answers an account's excess concurrent
 * requests) with `Retry-After`, at once and without touching storage.
 *
 * Only the list routes are wrapped (`boundedList`): a send or a single fetch never comes here. A
 * slot is held until the handler settles — answered, failed, or its client gone (the query still
 * runs to its end, so it still counts) — never until the answer is read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import type { ProjectSlots } from '../util/project-slots.js';
import { principalOf } from './auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Lists in progress per project (`ProjectSlots` with no waiting room); null: not limited. */
    listSlots: ProjectSlots | null;
  }
}

/** What a refused list is told to wait, in seconds: a list takes milliseconds to a few seconds. */
const RETRY_AFTER_SECONDS = 1;

/** Limit the lists of every surface of `app` (call before registering them). */
export function useListSlots(app: FastifyInstance, slots: ProjectSlots | null): void {
  app.decorate('listSlots', slots);
}

/**
 * A list route's handler, run only while its project has a slot free (authenticated routes only:
 * the project is the principal's). Anything else the route does is unchanged.
 */
export function boundedList<R extends FastifyRequest, T>(handler: (request: R, reply: FastifyReply) => Promise<T>): (request: R, reply: FastifyReply) => Promise<T> {
  return async (request, reply) => {
    const slots = request.server.listSlots;
    if (!slots) return handler(request, reply);
    const { projectId } = principalOf(request);
    if (!slots.tryTake(projectId)) {
      request.retryAfterSeconds = RETRY_AFTER_SECONDS;
      throw AppError.of('RATE_LIMITED', {
        message: `Too Many Requests: this project already has ${slots.perProject} list requests in progress on this server; retry when one has finished.`,
      });
    }
    try {
      return await handler(request, reply);
    } finally {
      slots.release(projectId);
    }
  };
}
