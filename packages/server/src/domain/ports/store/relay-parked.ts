/**
 * The RELAY sessions parked in the database (PostgreSQL; `RelayResumeStore` owns them), as other
 * writers see them: a redaction erases the message's text from their kept events in its own
 * transaction, so it does not stay at rest until the session is claimed or expires.
 */
export interface RelayParkedRepository {
  /** Blank the text of `messageId` in the events kept for its project's parked sessions; returns how many changed. */
  eraseMessageText(projectId: string, messageId: string): Promise<number>;
}
