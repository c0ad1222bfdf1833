/** cXML (LaML) applications: reusable inbound-message and status-callback settings of a project. */
import type { WebhookMethod } from './project.js';

export interface CxmlApplicationRecord {
  readonly id: string;
  readonly projectId: string;
  readonly friendlyName: string;
  /** Requested for every inbound message to a number using this application. */
  readonly smsUrl: string | null;
  readonly smsMethod: WebhookMethod;
  readonly smsFallbackUrl: string | null;
  readonly smsFallbackMethod: WebhookMethod;
  /** Receives the status callbacks of messages sent with this `ApplicationSid`. */
  readonly smsStatusCallback: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Fields of an application that may be set at creation or changed later. */
export type CxmlApplicationPatch = Partial<Pick<CxmlApplicationRecord, 'friendlyName' | 'smsUrl' | 'smsMethod' | 'smsFallbackUrl' | 'smsFallbackMethod' | 'smsStatusCallback'>>;
