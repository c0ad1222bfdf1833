/** A message a simulated handset received. */
export interface HandsetMessageRecord {
  readonly seq: number;
  readonly projectId: string;
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly body: string;
  readonly media: readonly string[];
  readonly segments: number;
  readonly receivedAt: number;
}

/** Filter of the simulator's handset inbox. */
export interface HandsetFilter {
  readonly to?: string;
  readonly from?: string;
  readonly bodyContains?: string;
  readonly sinceSeq?: number;
}

export interface HandsetInboxRepository {
  insertMany(rows: ReadonlyArray<Omit<HandsetMessageRecord, 'seq'>>): Promise<HandsetMessageRecord[]>;
  list(projectId: string, filter: HandsetFilter, limit: number): Promise<HandsetMessageRecord[]>;
  clear(projectId: string): Promise<number>;
  /** Which of `messageIds` (outbound messages of `projectId`) a handset already received. */
  receivedOf(projectId: string, messageIds: readonly string[]): Promise<Set<string>>;
  /** Delete the oldest messages beyond `keep` per project, at most `maxRows` of them; returns how many. */
  prune(keep: number, maxRows: number): Promise<number>;
}
