/**
 * The error answers of each documented surface, added to every operation of that surface in the
 * OpenAPI document (a route's own schema for a status wins). Each surface has one error formatter
 * (native/error-format.ts, compat/error-format.ts); these are the shapes they write.
 */
const str = { type: 'string' } as const;

/** `{error, message}`: the native surfaces' and the simulator's errors other than 422. */
const plain = { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string', description: 'The HTTP reason phrase.' }, message: str } } as const;

/** 422 under /api/messaging (and the simulator). */
const messagingProblems = {
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      items: { type: 'object', required: ['type', 'code', 'message', 'url'], properties: { type: str, code: str, message: str, attribute: { type: ['string', 'null'] }, url: str } },
    },
  },
} as const;

/** 422 under /api/relay/rest. */
const relayRestProblems = {
  type: 'object',
  required: ['errors'],
  properties: { errors: { type: 'array', items: { type: 'object', required: ['detail', 'status', 'title', 'code'], properties: { detail: str, status: str, title: str, code: str } } } },
} as const;

/** Twilio's flat shape with SignalWire's codes; `status` equals the HTTP status. */
const compat = {
  type: 'object',
  required: ['code', 'message', 'more_info', 'status'],
  properties: { code: { type: 'integer' }, message: str, more_info: str, status: { type: 'integer' } },
} as const;

const MEANING: Record<number, string> = {
  400: 'The request cannot be read (malformed JSON or path, bad filter).',
  401: 'Not authenticated: HTTP Basic auth with the project id and an API token.',
  403: 'The API token lacks the scope this endpoint needs.',
  404: 'No such resource.',
  409: 'Conflicts with the resource\'s state.',
  422: 'Invalid parameters; each problem names its attribute.',
  429: 'Too many requests or failed authentications; see Retry-After.',
  503: 'Storage is unavailable for the moment; retry after Retry-After.',
};

/** The same schema for each status, with what the status means. */
const each = (statuses: readonly number[], schema: object) => Object.fromEntries(statuses.map((s) => [s, { ...schema, description: MEANING[s] }]));

export type DocumentedSurface = 'messaging' | 'relay-rest' | 'compat' | 'simulator';

export function errorResponses(surface: DocumentedSurface): Record<number, object> {
  switch (surface) {
    case 'messaging':
    case 'simulator':
      return { ...each([400, 401, 403, 404, 429, 503], plain), ...each([422], messagingProblems) };
    case 'relay-rest':
      return { ...each([400, 401, 403, 404, 429, 503], plain), ...each([422], relayRestProblems) };
    case 'compat':
      return each([400, 401, 404, 409, 429, 503], compat);
  }
}
