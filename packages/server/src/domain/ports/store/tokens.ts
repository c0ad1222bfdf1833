import type { ApiTokenRecord } from '../../project.js';

export interface TokenRepository {
  create(token: ApiTokenRecord): Promise<void>;
  /** Tokens not revoked, for authentication. */
  listActive(projectId: string): Promise<ApiTokenRecord[]>;
  list(projectId: string): Promise<ApiTokenRecord[]>;
  /** Returns false when no such active token exists in the project. */
  revoke(projectId: string, tokenId: string, at: number): Promise<boolean>;
}
