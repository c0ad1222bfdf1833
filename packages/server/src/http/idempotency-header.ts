/**
 * The `Idempotency-Key` header of a send as it came: one value, or every value when the field was
 * given more than once. Node joins the repeated lines of a header it does not know with ", ", so
 * two keys read as one key `a, b`; the IETF draft makes the field one structured-field string
 * (an Item), which a repeated field is not, and parseIdempotencyKey refuses the list.
 */
import type { FastifyRequest } from 'fastify';

export function idempotencyKeyHeader(request: FastifyRequest): string | string[] | undefined {
  const joined = request.headers['idempotency-key'];
  // Most sends have no key: no scan of the raw headers for them.
  if (joined === undefined) return undefined;
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'idempotency-key') values.push(raw[i + 1]!);
  return values.length > 1 ? values : joined;
}
