import type { MessageEventRecord, NewMessageEvent } from '../../message.js';

export interface MessageEventRepository {
  insertMany(events: readonly NewMessageEvent[]): Promise<void>;
  listForMessage(projectId: string, messageId: string): Promise<MessageEventRecord[]>;
}
