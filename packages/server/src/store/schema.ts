/**
 * Table shapes as Kysely sees them. Times are integer milliseconds since the epoch in both
 * dialects; JSON values are stored as text so the same code reads both engines.
 */
import type { Generated } from 'kysely';

export interface ProjectsTable {
  id: string;
  name: string;
  signing_key: string;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  project_id: string;
  name: string;
  token_hash: Buffer;
  token_prefix: string;
  scopes: string;
  created_at: number;
  revoked_at: number | null;
  /** 1 for a test token (Twilio's test credentials: nothing is sent or stored), 0 for a live one. */
  test: Generated<number>;
}

export interface PhoneNumbersTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  number: string;
  name: string | null;
  number_type: string;
  country_code: string | null;
  capabilities: string;
  message_handler: string | null;
  message_request_url: string | null;
  message_request_method: string;
  message_fallback_url: string | null;
  message_fallback_method: string;
  message_laml_application_id: string | null;
  message_relay_topic: string | null;
  message_relay_context: string | null;
  messaging_handler_resource_id: string | null;
  created_at: number;
  updated_at: number;
  /** Segments per second this number may send; null: its type's default (migration 0011). */
  messages_per_second: number | null;
}

export interface MessagesTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  direction: string;
  origin: string;
  from_number: string;
  to_number: string;
  body: string;
  media: string;
  kind: string;
  encoding: string;
  segments: number;
  status: string;
  error_code: string | null;
  error_message: string | null;
  reason: string | null;
  status_callback: string | null;
  callback_format: string | null;
  custom_variables: string | null;
  context: string | null;
  tags: string;
  number_group_id: string | null;
  application_id: string | null;
  price: number | null;
  price_unit: string;
  max_price: string | null;
  validity_period: number;
  expires_at: number;
  carrier: string | null;
  carrier_message_id: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  redacted_at: number | null;
  deleted_at: number | null;
  /** On a reply a cXML document sent: the inbound message whose webhook began the exchange (0015). */
  cxml_session: string | null;
  /** On a message a RELAY session sent: its protocol (0023). */
  relay_sender: string | null;
}

export interface MessageEventsTable {
  id: Generated<number>;
  message_id: string;
  project_id: string;
  status: string;
  at: number;
  error_code: string | null;
  error_message: string | null;
  detail: string | null;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  project_id: string;
  message_id: string;
  run_at: number;
  attempts: number;
  lease_owner: string | null;
  created_at: number;
  /** Pinned to the carrier whose connection must send it; null when any node may. */
  carrier: string | null;
  /** The sender-rate slot this job holds (it is sent at that time without being charged again); null: none yet. */
  slot_at: Generated<number | null>;
}

/** Each rated sender's next free send time (migration 0011). */
export interface SenderSlotsTable {
  /** `<project id> <sender>`. */
  sender_key: string;
  next_at: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  project_id: string;
  message_id: string | null;
  kind: string;
  url: string;
  method: string;
  content_type: string | null;
  body: string;
  signature: string;
  fallback_url: string | null;
  fallback_method: string | null;
  status: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
  lease_owner: string | null;
  created_at: number;
  updated_at: number;
  /** 1 on a message's oldest pending delivery (the only one a claim takes), else 0 (0007). */
  head: number;
  /** `host:port` of the next attempt (0007). */
  destination: string;
  /** Start of the retry window (0007). */
  retry_from: number;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  project_id: string;
  attempt: number;
  url: string;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  signature: string;
  response_excerpt: string | null;
}

export interface HandsetMessagesTable {
  seq: Generated<number>;
  project_id: string;
  message_id: string;
  from_number: string;
  to_number: string;
  body: string;
  media: string;
  segments: number;
  received_at: number;
}

export interface NumberGroupsTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  name: string;
  sticky_sender: number;
  created_at: number;
  updated_at: number;
}

export interface NumberGroupMembershipsTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  group_id: string;
  phone_number_id: string;
  created_at: number;
  updated_at: number;
}

export interface NumberGroupStickyTable {
  project_id: string;
  group_id: string;
  destination: string;
  phone_number_id: string;
  created_at: number;
}

export interface CxmlApplicationsTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  friendly_name: string;
  sms_url: string | null;
  sms_method: string;
  sms_fallback_url: string | null;
  sms_fallback_method: string;
  sms_status_callback: string | null;
  created_at: number;
  updated_at: number;
}

export interface MessageMediaTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  message_id: string;
  position: number;
  url: string;
  content_type: string;
  created_at: number;
}

export interface CarrierPartsTable {
  carrier: string;
  carrier_message_id: string;
  project_id: string;
  message_id: string;
  part_index: number;
  part_count: number;
  status: string;
  error: string | null;
  error_detail: string | null;
  created_at: number;
  updated_at: number;
}

export interface ClusterLeasesTable {
  name: string;
  owner: string;
  expires_at: number;
  acquired_at: number;
}

export interface ClusterNodesTable {
  instance_id: string;
  node_id: string;
  /** JSON array of role names. */
  roles: string;
  url: string | null;
  started_at: number;
  heartbeat_at: number;
}

export interface ConsoleSessionsTable {
  id_hash: Buffer;
  project_id: string;
  token_id: string | null;
  scopes: string;
  dev: number;
  created_at: number;
  expires_at: number;
}

export interface IdempotencyKeysTable {
  project_id: string;
  key: string;
  request_hash: string;
  message_id: string;
  created_at: number;
  expires_at: number;
}

export interface RelayParkedSessionsTable {
  protocol: string;
  project_id: string;
  /** The API token that authorised the session; null in rows parked before 0019. */
  token_id: string | null;
  /** JSON array of contexts. */
  contexts: string;
  event_acks: number;
  instance_id: string;
  parked_at: number;
  expires_at: number;
}

export interface RelayParkedEventsTable {
  seq: Generated<number>;
  protocol: string;
  event_id: string;
  key: string;
  at: number;
  params: string;
}

export interface SimulatorSettingsTable {
  project_id: string;
  delay_ms: number | null;
  delayed_receipt_ms: number | null;
  /** 0 or 1. */
  mms_receipts: number | null;
  /** JSON list of rules in the config file's vocabulary. */
  rules: string | null;
  updated_at: number;
}

/** A handset's opt-out of a sender: a number or a number group's id (migration 0010). */
export interface OptOutsTable {
  seq: Generated<number>;
  id: string;
  project_id: string;
  sender: string;
  handset: string;
  keyword: string | null;
  created_at: number;
}

/** How many `opt_outs` entries a project has, kept with each insert and delete (migration 0021). */
export interface OptOutCountsTable {
  project_id: string;
  entries: number;
}

/** Smart encoding and opt-out replies per project (`scope` ''), number group (its id) or number (migration 0010). */
export interface MessagingSettingsTable {
  project_id: string;
  scope: string;
  /** 0 or 1; null follows the wider scope. */
  smart_encoding: number | null;
  /** 0 or 1: send the opt-out confirmation and help replies. */
  replies: number | null;
  stop_reply: string | null;
  start_reply: string | null;
  help_reply: string | null;
  updated_at: number;
}

/** Keys the server keeps to itself, shared by its nodes (migration 0017). */
export interface ServerKeysTable {
  name: string;
  /** base64 */
  secret: string;
  created_at: number;
}

/** The manual simulator clock's position, one row (id 1) shared by the nodes (migration 0018). */
export interface SimulatorClockTable {
  id: number;
  now_ms: number;
  updated_at: number;
}

/** Receipts the simulator's SMSC owes, by its address and message number (migration 0020). */
export interface SmscReceiptsTable {
  smsc: string;
  seq: number;
  system_id: string;
  source_addr: string;
  outcome: string;
  due_at: number;
  receipt: Buffer;
  created_at: number;
}

/** Parts of multipart MOs acknowledged to the SMSC and not yet stored as a message (migration 0027). */
export interface MoPartsTable {
  carrier: string;
  from_number: string;
  to_number: string;
  reference: number;
  total: number;
  first_at: number;
  seq: number;
  text: string;
  received_at: number;
}

/** The whole schema. */
export interface Database {
  projects: ProjectsTable;
  api_tokens: ApiTokensTable;
  phone_numbers: PhoneNumbersTable;
  messages: MessagesTable;
  message_events: MessageEventsTable;
  jobs: JobsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  handset_messages: HandsetMessagesTable;
  number_groups: NumberGroupsTable;
  number_group_memberships: NumberGroupMembershipsTable;
  number_group_sticky: NumberGroupStickyTable;
  cxml_applications: CxmlApplicationsTable;
  message_media: MessageMediaTable;
  carrier_parts: CarrierPartsTable;
  idempotency_keys: IdempotencyKeysTable;
  cluster_leases: ClusterLeasesTable;
  cluster_nodes: ClusterNodesTable;
  relay_parked_sessions: RelayParkedSessionsTable;
  relay_parked_events: RelayParkedEventsTable;
  console_sessions: ConsoleSessionsTable;
  simulator_settings: SimulatorSettingsTable;
  opt_outs: OptOutsTable;
  opt_out_counts: OptOutCountsTable;
  messaging_settings: MessagingSettingsTable;
  sender_slots: SenderSlotsTable;
  server_keys: ServerKeysTable;
  simulator_clock: SimulatorClockTable;
  smsc_receipts: SmscReceiptsTable;
  mo_parts: MoPartsTable;
}
