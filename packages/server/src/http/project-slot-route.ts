/**
 * A route's handler run in one of its project's slots (`util/project-slots.ts`): the lists, the
 * single fetches and the sends of every surface (`list-slots.ts`, `fetch-slots.ts`, `send-slots.ts`). Authenticated routes only (the project
 * is the principal's). A request the slots refuse is answered 429 in its surface's shape
 * (Compatibility API 20429) with `Retry-After`, at once and without touching storage; a slot taken
 * is held until the handler settles — answered, failed, or its client gone — never until the
 * answer is read — and across one turn of the event loop at least, so the bound holds for a burst
 * of requests read in the same turn even where the handler's work is synchronous (SQLite).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import type { ProjectSlots } from '../util/project-slots.js';
import { principalOf } from './auth.js';

/**
 * Requests of a project that may wait for a slot, per slot, where a surface gives its slots a
 * waiting room (lists, single fetches): waiting, they hold no pool connection and cost only their
 * parsed request, and a client reading a few at once (`Promise.all`, several test files against one
 * project) is served in turn rather than refused.
 */
export const WAITING_PER_SLOT = 4;

/** What a refused request is told to wait, in seconds: lists and sends take milliseconds to seconds. */
const RETRY_AFTER_SECONDS = 1;

export interface SlotRule {
  /** The slots of the request's server; null: not limited. */
  slotsOf(request: FastifyRequest): ProjectSlots | null;
  /** Why a request was refused (the 429's message). */
  refusal(slots: ProjectSlots): string;
  /**
   * Whether a slot is held across a turn of the event loop at least, for handlers that may finish
   * within the turn that read them (a list or a fetch on SQLite, whose queries block). A send
   * always waits for its commit, so it holds its slot past the turn anyway: it is not delayed.
   */
  readonly holdAcrossTurn: boolean;
}

/** Resolves after the event loop has gone round once (its I/O polled), not within the current turn. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function boundedBy<R extends FastifyRequest, T>(rule: SlotRule, handler: (request: R, reply: FastifyReply) => Promise<T>): (request: R, reply: FastifyReply) => Promise<T> {
  return async (request, reply) => {
    const slots = rule.slotsOf(request);
    if (!slots) return handler(request, reply);
    const { projectId } = principalOf(request);
    // Null when the project's slots and their waiting room are full.
    const turn = slots.take(projectId);
    if (!turn) {
      request.retryAfterSeconds = RETRY_AFTER_SECONDS;
      throw AppError.of('RATE_LIMITED', { message: rule.refusal(slots) });
    }
    await turn;
    try {
      // Held across a turn of the event loop at least: a handler that completes synchronously (a
      // list on SQLite, whose queries block) gave its slot back within the turn that read it, so
      // every request of a burst found a slot free and the bound never applied — one client's
      // pipelined lists on a hundred connections were all served back to back, and the node
      // accepted no other client's connection for seconds.
      if (rule.holdAcrossTurn) await nextTurn();
      return await handler(request, reply);
    } finally {
      slots.release(projectId);
    }
  };
}
