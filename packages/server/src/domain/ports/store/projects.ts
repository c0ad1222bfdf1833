import type { ProjectRecord } from '../../project.js';

export interface ProjectRepository {
  create(project: ProjectRecord): Promise<void>;
  get(projectId: string): Promise<ProjectRecord | undefined>;
  list(): Promise<ProjectRecord[]>;
  /**
   * Inside a first start's transaction: wait until no other first start's transaction is open, so
   * that reads after it see the project such a start made, whatever keys it used (two nodes
   * configured with different numbers and no project id made two projects). PostgreSQL takes a
   * transaction advisory lock; SQLite's write transaction is that lock already.
   */
  holdFirstStart(): Promise<void>;
  setSigningKey(projectId: string, signingKey: string): Promise<void>;
  /** Give the project another name; false when there is no such project. */
  rename(projectId: string, name: string): Promise<boolean>;
}
