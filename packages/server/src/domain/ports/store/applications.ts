import type { CxmlApplicationPatch, CxmlApplicationRecord } from '../../cxml-applications.js';
import type { SeqPage } from './paging.js';

export interface CxmlApplicationRepository {
  /** With `maxPerProject` (inside a transaction): false, and nothing stored, when the project already has that many. */
  create(app: CxmlApplicationRecord, maxPerProject?: number): Promise<boolean>;
  get(projectId: string, id: string): Promise<CxmlApplicationRecord | undefined>;
  list(projectId: string, filter: { readonly friendlyName?: string }, page: SeqPage): Promise<Array<CxmlApplicationRecord & { seq: number }>>;
  seqOf(projectId: string, id: string): Promise<number | undefined>;
  update(projectId: string, id: string, patch: CxmlApplicationPatch, at: number): Promise<CxmlApplicationRecord | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
}
