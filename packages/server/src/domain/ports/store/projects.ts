import type { ProjectRecord } from '../../project.js';

export interface ProjectRepository {
  create(project: ProjectRecord): Promise<void>;
  get(projectId: string): Promise<ProjectRecord | undefined>;
  list(): Promise<ProjectRecord[]>;
  setSigningKey(projectId: string, signingKey: string): Promise<void>;
}
