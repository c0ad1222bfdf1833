/**
 * The `Idempotency-Key` header of a send as it came: one value, or every value when the field was
 * given more than once. Node joins the repeated lines of a header it does not know with ", ", so
 * two keys read as one key `a, b`; the IETF draft makes the field one structured-field string
 * (an Item), which a repeated field is not, and parseIdempotencyKey refuses the list.
 */
import type { FastifyRequest } from 'fastify';

export function idempotencyKeyHeader(request: FastifyRequest): string | string[] | undefined {
  const joined = request.headers['idempotency-key'];
  // Most sends have none: Node builds headersDistinct (every header as a list) when first read.
  if (joined === undefined) return undefined;
  const lines = request.raw.headersDistinct['idempotency-key'];
  return lines && lines.length > 1 ? lines : joined;
}
