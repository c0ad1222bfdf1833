/**
 * Sends (message creates) in progress per project on this node. Requests are served in arrival
 * order, so another project's send waited behind every send of a project that kept hundreds in
 * flight (measured on PostgreSQL: another project's median send 27 ms alone, 160 ms behind 250 in
 * flight, 95 ms behind 128, 62 ms behind 64; the greedy project sent no fewer a second).
 *
 * A project runs at most `perProject` sends at once; the next ones wait in the project's queue,
 * costing nothing but their connection, and start as its sends finish. Refusing them instead
 * (429) did not help: a client that retries at once kept the node busy answering its refusals
 * (measured: the other project's median 300 ms). Only past as many waiting again is a send
 * refused, 429 (Compatibility API 20429) with `Retry-After`. Only the send routes are wrapped
 * (`boundedSend`); RELAY's `messaging.send` has its own per-connection limits.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/app-error.js';
import { principalOf } from './auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends in progress per project (see `SendSlots`); null: not limited. */
    sendSlots: SendSlots | null;
  }
}

/** What a refused send is told to wait, in seconds: a send takes milliseconds. */
const RETRY_AFTER_SECONDS = 1;

interface ProjectSends {
  running: number;
  readonly waiting: Array<() => void>;
}

export class SendSlots {
  private readonly projects = new Map<string, ProjectSends>();

  constructor(
    readonly perProject: number,
    readonly maxWaiting: number = perProject,
  ) {}

  /** Resolves once the project has a slot for the caller; null when its queue is full too. */
  take(projectId: string): Promise<void> | null {
    let p = this.projects.get(projectId);
    if (!p) this.projects.set(projectId, (p = { running: 0, waiting: [] }));
    if (p.running < this.perProject) {
      p.running++;
      return Promise.resolve();
    }
    if (p.waiting.length >= this.maxWaiting) return null;
    const queue = p.waiting;
    return new Promise((resolve) => queue.push(resolve));
  }

  /** Give a slot back: to the project's next waiting send, if any. */
  release(projectId: string): void {
    const p = this.projects.get(projectId);
    if (!p) return;
    const next = p.waiting.shift();
    if (next) return next();
    // The map holds only projects with sends running: a burst of projects leaves nothing behind.
    if (--p.running <= 0) this.projects.delete(projectId);
  }
}

/** Limit the sends of every surface of `app` (call before registering them). */
export function useSendSlots(app: FastifyInstance, slots: SendSlots | null): void {
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
