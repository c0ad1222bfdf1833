import { randomUUID } from 'node:crypto';

/** Generator of identifiers, injected so tests can make them predictable. */
export interface IdGenerator {
  /** A new UUID (v4) string. */
  uuid(): string;
}

/** Random UUIDs from the platform's CSPRNG. */
export const randomIds: IdGenerator = { uuid: () => randomUUID() };
