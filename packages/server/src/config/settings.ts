/**
 * Every setting Switchboard reads, once: its config-file key, environment variable, CLI flag,
 * default and parser. `load.ts` applies defaults < config file < environment < flags and stops the
 * start with a message naming the setting when a value is bad. docs/configuration.md lists them.
 */

import { NODE_ROLES, type NodeRole } from '../domain/cluster.js';
import { parsePriceTable, type PriceTable } from '../domain/pricing.js';
import { DEFAULT_SENDER_RATES, parseSenderRates } from '../domain/sender-rates.js';
import { CONNECTION_SETTINGS } from './connection-settings.js';
import { CONSOLE_SETTINGS } from './console-settings.js';
import { LIST_SETTINGS } from './list-settings.js';
import { PROJECT_LIMIT_SETTINGS } from './project-limit-settings.js';
import { RELAY_MEMORY_SETTINGS } from './relay-memory-settings.js';
import { RETENTION_SETTINGS } from './retention-settings.js';
import { hostnameList, InvalidSetting, numberList, optionalBaseUrl, optionalProjectId, parsers, smppString, type SettingSpec } from './setting-parsers.js';

export { InvalidSetting, parsers, type SettingSource, type SettingSpec } from './setting-parsers.js';

/** The settings table. `default: undefined as never` marks values computed by the loader. */
export const SETTINGS = {
  host: { key: 'host', env: 'SWITCHBOARD_HOST', flag: 'host', description: 'Address the HTTP listener binds to.', default: '127.0.0.1', parse: parsers.string },
  port: { key: 'port', env: 'SWITCHBOARD_PORT', flag: 'port', description: 'HTTP port (0 picks a free one).', default: 8080, parse: parsers.int(0, 65535) },
  dataDir: { key: 'dataDir', env: 'SWITCHBOARD_DATA_DIR', flag: 'data-dir', description: 'Folder for the SQLite database and generated files.', default: './data', parse: parsers.string },
  publicUrl: {
    key: 'publicUrl',
    env: 'SWITCHBOARD_PUBLIC_URL',
    flag: 'public-url',
    description: 'Base URL clients reach this server at, used in absolute links (paging); an https one also makes the console\'s cookie Secure behind a TLS proxy. Defaults to the request\'s own host.',
    default: null as string | null,
    parse: optionalBaseUrl,
  },
  logLevel: { key: 'logLevel', env: 'SWITCHBOARD_LOG_LEVEL', flag: 'log-level', description: 'Log level.', default: 'info', parse: parsers.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
  logFormat: {
    key: 'logFormat',
    env: 'SWITCHBOARD_LOG_FORMAT',
    flag: 'log-format',
    description: 'Log output: `pretty` (one readable line per entry), `json` (one JSON object per line, for collectors) or `auto` (pretty when stdout is a terminal, JSON otherwise).',
    default: 'auto',
    parse: parsers.oneOf('auto', 'json', 'pretty'),
  },
  bodyLimitBytes: { key: 'http.bodyLimitBytes', env: 'SWITCHBOARD_BODY_LIMIT_BYTES', flag: 'body-limit-bytes', description: 'Largest request body accepted (413 above).', default: 262_144, parse: parsers.int(1024, 64 * 1024 * 1024) },
  maxConnections: { key: 'http.maxConnections', env: 'SWITCHBOARD_MAX_CONNECTIONS', flag: null, description: 'Most open HTTP connections; further ones are refused.', default: 10_000, parse: parsers.int(1, 1_000_000) },
  maxConnectionsPerAddress: {
    key: 'http.maxConnectionsPerAddress',
    env: 'SWITCHBOARD_MAX_CONNECTIONS_PER_ADDRESS',
    flag: null,
    description: 'Most open connections from one client address (HTTP, HTTPS and RELAY WebSockets together, loopback included); further ones are answered 429 and closed (dropped on HTTPS).',
    default: 256,
    parse: parsers.int(1, 1_000_000),
  },
  ...CONNECTION_SETTINGS,
  headersTimeoutMs: {
    key: 'http.headersTimeoutMs',
    env: 'SWITCHBOARD_HEADERS_TIMEOUT_MS',
    flag: null,
    description: 'Time a client has to send a request\'s headers (and to complete a TLS handshake; on the HTTPS port, also to send its first bytes); then it gets 408 and the connection is closed (with no answer before a handshake).',
    default: 15_000,
    parse: parsers.int(100, 600_000),
  },
  requestTimeoutMs: {
    key: 'http.requestTimeoutMs',
    env: 'SWITCHBOARD_REQUEST_TIMEOUT_MS',
    flag: null,
    description: 'Time a client has to send a whole request, body included; then it gets 408 and the connection is closed. Not counted once a connection became a RELAY WebSocket.',
    default: 30_000,
    parse: parsers.int(100, 3_600_000),
  },
  maxListRequestsPerProject: {
    key: 'http.maxListRequestsPerProject',
    env: 'SWITCHBOARD_MAX_LIST_REQUESTS_PER_PROJECT',
    flag: null,
    description: 'List requests (pages of messages, media, numbers, groups, applications, opt-outs, the simulator\'s inbox; the console\'s lists) one project may have in progress at once on this node; four times as many more wait for a slot, and one more than those gets 429 (Compatibility API 20429) with Retry-After. Sends are not counted; single fetches of a message (its media, the console\'s message detail) have 8 times as many slots of their own (32), with their waiting room.',
    default: 4,
    parse: parsers.int(1, 10_000),
  },
  ...LIST_SETTINGS,
  maxSendRequestsPerProject: { key: 'http.maxSendRequestsPerProject', env: 'SWITCHBOARD_MAX_SEND_REQUESTS_PER_PROJECT', flag: null, description: 'Sends (native and Compatibility API message creates) one project may have in progress at once on this node; the next ones wait their turn, and one more than as many again waiting gets 429 (Compatibility API 20429) with Retry-After. A project sending on hundreds of connections made every other project wait behind its requests.', default: 128, parse: parsers.int(1, 10_000) },
  authFailureBurstPerAddress: {
    key: 'auth.failureBurstPerAddress',
    env: 'SWITCHBOARD_AUTH_FAILURE_BURST_PER_ADDRESS',
    flag: null,
    description: 'Failed authentications (wrong Basic credentials, console logins, RELAY connects) one client address may make in a row; then it gets 429 with Retry-After until failures are forgiven (credentials that worked before still pass).',
    default: 20,
    parse: parsers.int(1, 1_000_000),
  },
  authFailuresPerMinutePerAddress: {
    key: 'auth.failuresPerMinutePerAddress',
    env: 'SWITCHBOARD_AUTH_FAILURES_PER_MINUTE_PER_ADDRESS',
    flag: null,
    description: 'Failed authentications forgiven per minute per client address.',
    default: 60,
    parse: parsers.int(1, 1_000_000),
  },
  authFailureBurstPerProject: {
    key: 'auth.failureBurstPerProject',
    env: 'SWITCHBOARD_AUTH_FAILURE_BURST_PER_PROJECT',
    flag: null,
    description: 'Failed authentications naming one project id (from any address) in a row; then attempts for it from the addresses that failed get 429 with Retry-After (except credentials that worked before); other addresses are checked as usual.',
    default: 100,
    parse: parsers.int(1, 1_000_000),
  },
  authFailuresPerMinutePerProject: {
    key: 'auth.failuresPerMinutePerProject',
    env: 'SWITCHBOARD_AUTH_FAILURES_PER_MINUTE_PER_PROJECT',
    flag: null,
    description: 'Failed authentications forgiven per minute per project id.',
    default: 300,
    parse: parsers.int(1, 1_000_000),
  },
  nodeId: { key: 'nodeId', env: 'SWITCHBOARD_NODE_ID', flag: 'node-id', description: 'Name of this node in leases and logs.', default: null as string | null, defaultLabel: 'host name and process id', parse: parsers.optionalString },

  databaseUrl: {
    key: 'database.url',
    env: 'SWITCHBOARD_DATABASE_URL',
    flag: 'database-url',
    description: 'PostgreSQL URL (`postgres://user:password@host:5432/db`): several nodes share one database. Unset: SQLite in the data folder (one node).',
    default: null as string | null,
    parse: (raw: unknown): string | null => {
      const url = parsers.optionalString(raw);
      if (url !== null && !/^postgres(ql)?:\/\/\S+$/i.test(url)) throw new InvalidSetting('must be a postgres:// URL');
      return url;
    },
  },
  databasePoolSize: { key: 'database.poolSize', env: 'SWITCHBOARD_DATABASE_POOL_SIZE', flag: null, description: 'PostgreSQL connections per node.', default: 10, parse: parsers.int(2, 500) },
  databaseMigrate: {
    key: 'database.migrate',
    env: 'SWITCHBOARD_DATABASE_MIGRATE',
    flag: null,
    description: 'Bring the PostgreSQL schema up to date at start (nodes take turns under a lock). false: refuse to start until `switchboard migrate` has run.',
    default: true,
    parse: parsers.bool,
  },
  natsUrl: {
    key: 'nats.url',
    env: 'SWITCHBOARD_NATS_URL',
    flag: 'nats-url',
    description: 'NATS server(s), comma-separated (`nats://host:4222`): events and wake-ups between nodes. Unset: in-process events (one node).',
    default: null as string | null,
    parse: (raw: unknown): string | null => {
      const url = parsers.optionalString(raw);
      if (url !== null && !url.split(',').every((u) => /^(nats|tls):\/\/\S+$/i.test(u.trim()) || /^[\w.-]+:\d+$/.test(u.trim()))) throw new InvalidSetting('must be nats://host:port, or several separated by commas');
      return url;
    },
  },
  natsSubjectPrefix: {
    key: 'nats.subjectPrefix',
    env: 'SWITCHBOARD_NATS_SUBJECT_PREFIX',
    flag: null,
    description: 'First token of every NATS subject, so several clusters can share one NATS.',
    default: 'switchboard',
    parse: (raw: unknown): string => {
      const v = parsers.string(raw);
      if (!/^[A-Za-z0-9_-]+$/.test(v)) throw new InvalidSetting('must be letters, digits, _ or -');
      return v;
    },
  },
  roles: {
    key: 'node.roles',
    env: 'SWITCHBOARD_ROLES',
    flag: 'roles',
    description: 'What this node runs, comma-separated: api (REST surfaces), relay (RELAY WebSocket), dispatch (carriers and sending), webhooks (callback delivery). /health, /ready and /metrics are always served.',
    default: ['api', 'relay', 'dispatch', 'webhooks'] as NodeRole[],
    defaultLabel: 'api,relay,dispatch,webhooks',
    parse: parsers.someOf(...NODE_ROLES),
  },
  clusterHeartbeatMs: { key: 'cluster.heartbeatMs', env: 'SWITCHBOARD_CLUSTER_HEARTBEAT_MS', flag: null, description: 'How often a node on PostgreSQL records that it is alive and renews its carrier leases.', default: 2_000, parse: parsers.int(100, 60_000) },
  clusterNodeTimeoutMs: {
    key: 'cluster.nodeTimeoutMs',
    env: 'SWITCHBOARD_CLUSTER_NODE_TIMEOUT_MS',
    flag: null,
    description: 'A node silent this long is taken for dead: another adopts its pending simulated receipts, and its carrier connections fail over.',
    default: 10_000,
    parse: parsers.int(500, 600_000),
  },

  projectId: { key: 'bootstrap.projectId', env: 'SWITCHBOARD_PROJECT_ID', flag: 'project-id', description: 'Project created (or ensured) at start, the operator project (see docs/architecture.md, Tenancy); random when unset.', default: null as string | null, parse: optionalProjectId },
  projectName: { key: 'bootstrap.projectName', env: 'SWITCHBOARD_PROJECT_NAME', flag: null, description: 'Name of the project created at first start.', default: 'Default project', parse: parsers.string },
  apiToken: { key: 'bootstrap.apiToken', env: 'SWITCHBOARD_API_TOKEN', flag: 'api-token', description: 'API token ensured for that project (all scopes); random at first start when unset. One under 20 characters is taken, with a warning at start (short enough to guess).', default: null as string | null, parse: parsers.optionalString },
  testApiToken: { key: 'bootstrap.testApiToken', env: 'SWITCHBOARD_TEST_API_TOKEN', flag: null, description: "Test API token ensured for that project: Twilio's test credentials (magic numbers answer at once; nothing is sent or stored; see docs/api/compat.md). None when unset.", default: null as string | null, parse: parsers.optionalString },
  signingKey: { key: 'bootstrap.signingKey', env: 'SWITCHBOARD_SIGNING_KEY', flag: 'signing-key', description: 'Webhook signing key of that project; random at first start when unset.', default: null as string | null, parse: parsers.optionalString },
  numbers: {
    key: 'bootstrap.numbers',
    env: 'SWITCHBOARD_NUMBERS',
    flag: 'numbers',
    description: 'Comma-separated E.164 numbers registered with that project; two built-in numbers at first start when unset.',
    default: null as string[] | null,
    parse: (raw: unknown) => (raw === null || raw === '' ? null : numberList(raw)),
  },
  defaultRelayContext: {
    key: 'bootstrap.relayContext',
    env: 'SWITCHBOARD_DEFAULT_RELAY_CONTEXT',
    flag: null,
    description: 'RELAY context that numbers registered at start route inbound messages to.',
    default: 'default',
    parse: parsers.string,
  },

  simulatorDelayMs: { key: 'simulator.delayMs', env: 'SWITCHBOARD_SIMULATOR_DELAY_MS', flag: 'simulator-delay-ms', description: "The simulator's delay between lifecycle steps (0: as fast as it can go); every project's default.", default: 1000, parse: parsers.int(0, 600_000) },
  simulatorDelayedReceiptMs: {
    key: 'simulator.delayedReceiptMs',
    env: 'SWITCHBOARD_SIMULATOR_DELAYED_RECEIPT_MS',
    flag: null,
    description: 'Receipt delay of the "delayed receipt" magic number; every project\'s default.',
    default: 30_000,
    parse: parsers.int(0, 3_600_000),
  },
  simulatorMmsReceipts: { key: 'simulator.mmsReceipts', env: 'SWITCHBOARD_SIMULATOR_MMS_RECEIPTS', flag: null, description: "Give MMS delivery receipts, so an MMS ends `delivered` like an SMS (`false`: it stops at `sent`, as on real networks); every project's default.", default: true, parse: parsers.bool },
  simulatorClock: { key: 'simulator.clock', env: 'SWITCHBOARD_SIMULATOR_CLOCK', flag: null, description: '`manual`: time stands still until `POST /api/simulator/clock/advance` moves it (delays, receipts, retries, expiry, schedules follow it; for tests). Its time is kept in the database: a restart resumes at it, and every node sharing the database follows an advance. `system`: the wall clock.', default: 'system', parse: parsers.oneOf('system', 'manual') },
  simulatorInboxLimit: { key: 'simulator.inboxLimit', env: 'SWITCHBOARD_SIMULATOR_INBOX_LIMIT', flag: null, description: 'Messages kept per project in the handset inbox.', default: 10_000, parse: parsers.int(10, 10_000_000) },

  simulatorSmscEnabled: {
    key: 'simulator.smsc.enabled',
    env: 'SWITCHBOARD_SIMULATOR_SMSC_ENABLED',
    flag: 'smsc',
    description: "Start the simulator's SMSC: an SMPP server that connectors (ours, Kannel, any ESME) bind to, answering by the simulator's outcome rules.",
    default: false,
    parse: parsers.bool,
  },
  simulatorSmscHost: { key: 'simulator.smsc.host', env: 'SWITCHBOARD_SIMULATOR_SMSC_HOST', flag: null, description: 'Address the simulator SMSC listens on.', default: '127.0.0.1', parse: parsers.string },
  simulatorSmscPort: { key: 'simulator.smsc.port', env: 'SWITCHBOARD_SIMULATOR_SMSC_PORT', flag: 'smsc-port', description: 'SMPP port of the simulator SMSC (0 picks a free one).', default: 2775, parse: parsers.int(0, 65535) },
  simulatorSmscSystemId: {
    key: 'simulator.smsc.systemId',
    env: 'SWITCHBOARD_SIMULATOR_SMSC_SYSTEM_ID',
    flag: null,
    description: 'system_id an ESME must bind to the simulator SMSC with (at most 15 characters).',
    default: 'switchboard',
    parse: smppString(15),
  },
  simulatorSmscPassword: {
    key: 'simulator.smsc.password',
    env: 'SWITCHBOARD_SIMULATOR_SMSC_PASSWORD',
    flag: null,
    description: 'Password for binds to the simulator SMSC (at most 8 characters, as SMPP v3.4 allows).',
    default: 'secret',
    parse: smppString(8),
  },
  simulatorSmscMaxBinds: { key: 'simulator.smsc.maxBinds', env: 'SWITCHBOARD_SIMULATOR_SMSC_MAX_BINDS', flag: null, description: 'Most simultaneous binds the simulator SMSC accepts.', default: 16, parse: parsers.int(1, 1024) },
  simulatorSmscBindFailureBurst: { key: 'simulator.smsc.bindFailureBurst', env: 'SWITCHBOARD_SIMULATOR_SMSC_BIND_FAILURE_BURST', flag: null, description: 'Failed binds (wrong system_id or password) one client address may make in a row to the simulator SMSC; then its binds get ESME_RBINDFAIL and are closed, without checking their credentials, until a failure is forgiven. Each failed bind is answered after 0.5 s.', default: 10, parse: parsers.int(1, 1_000_000) },
  simulatorSmscBindFailuresPerMinute: { key: 'simulator.smsc.bindFailuresPerMinute', env: 'SWITCHBOARD_SIMULATOR_SMSC_BIND_FAILURES_PER_MINUTE', flag: null, description: 'Failed binds to the simulator SMSC forgiven per minute per client address.', default: 6, parse: parsers.int(1, 1_000_000) },
  simulatorSmscSubmitIdFormat: {
    key: 'simulator.smsc.submitIdFormat',
    env: 'SWITCHBOARD_SIMULATOR_SMSC_SUBMIT_ID_FORMAT',
    flag: null,
    description: 'How the simulator SMSC writes message ids in submit_sm_resp (decimal or hex).',
    default: 'decimal' as 'decimal' | 'hex',
    parse: parsers.oneOf('decimal', 'hex'),
  },
  simulatorSmscReceiptIdFormat: {
    key: 'simulator.smsc.receiptIdFormat',
    env: 'SWITCHBOARD_SIMULATOR_SMSC_RECEIPT_ID_FORMAT',
    flag: null,
    description: 'How the simulator SMSC writes message ids in delivery receipts (decimal or hex; differing from submitIdFormat imitates SMSCs that mix them).',
    default: 'decimal' as 'decimal' | 'hex',
    parse: parsers.oneOf('decimal', 'hex'),
  },

  dispatchBatchSize: { key: 'dispatcher.batchSize', env: 'SWITCHBOARD_DISPATCH_BATCH_SIZE', flag: null, description: 'Messages claimed per dispatch batch.', default: 500, parse: parsers.int(1, 5000) },
  dispatchConcurrency: { key: 'dispatcher.concurrency', env: 'SWITCHBOARD_DISPATCH_CONCURRENCY', flag: null, description: 'Dispatch batches in flight at once, waiting for carriers without a rate (one with a rate, an SMPP connector with a throughput, is handed what it sends in half dispatcher.leaseMs and holds none).', default: 4, parse: parsers.int(1, 64) },
  senderRates: {
    key: 'senders.rates',
    env: 'SWITCHBOARD_SENDER_RATES',
    flag: null,
    description: 'Default send rate of a number by type, in message segments per second (0: no limit), for numbers without their own `messages_per_second`; not applied to messages that go to the simulator. Types: `longcode`, `toll-free`, `shortcode`; environment form `longcode=1,toll-free=3`.',
    default: DEFAULT_SENDER_RATES,
    defaultLabel: '`longcode=1,toll-free=3,shortcode=100`',
    parse: (raw: unknown) => {
      try {
        return parseSenderRates(raw);
      } catch (err) {
        throw new InvalidSetting((err as Error).message);
      }
    },
  },
  senderQueueLimitSeconds: { key: 'senders.queueLimitSeconds', env: 'SWITCHBOARD_SENDER_QUEUE_LIMIT_SECONDS', flag: null, description: "A send is refused (21611) while its sender's queue holds more than this many seconds of messages at its rate. Default: the default validity period (4 hours), past which queued messages expire anyway; Twilio's limit equals its own default validity (10 hours today).", default: 14_400, parse: parsers.int(1, 864_000) },
  scheduleMinLeadSeconds: { key: 'scheduling.minLeadSeconds', env: 'SWITCHBOARD_SCHEDULE_MIN_LEAD_SECONDS', flag: null, description: 'How soon a scheduled send (`SendAt`, `send_at`) may be, in seconds from the request (Twilio: 300).', default: 300, parse: parsers.int(0, 86_400) },
  scheduleMaxLeadSeconds: { key: 'scheduling.maxLeadSeconds', env: 'SWITCHBOARD_SCHEDULE_MAX_LEAD_SECONDS', flag: null, description: 'How far ahead a scheduled send may be, in seconds (Twilio: 35 days).', default: 3_024_000, parse: parsers.int(1, 31_536_000) },
  dispatchLeaseMs: { key: 'dispatcher.leaseMs', env: 'SWITCHBOARD_DISPATCH_LEASE_MS', flag: null, description: 'How long a claimed batch is held before another runner may take it.', default: 30_000, parse: parsers.int(1000, 3_600_000) },
  receiptsReconcileAfterMs: {
    key: 'receipts.reconcileAfterMs',
    env: 'SWITCHBOARD_RECEIPTS_RECONCILE_AFTER_MS',
    flag: null,
    description: 'An SMS still `sent` this long after its carrier took it, with no receipt, has its carrier asked what became of it (SMPP `query_sm`); asked again each time that age doubles.',
    default: 600_000,
    parse: parsers.int(100, 86_400_000),
  },
  receiptsGiveUpAfterMs: {
    key: 'receipts.giveUpAfterMs',
    env: 'SWITCHBOARD_RECEIPTS_GIVE_UP_AFTER_MS',
    flag: null,
    description: 'An SMS still `sent` this long after its carrier took it, that the carrier cannot resolve, ends `undelivered` with error 30008 (no receipt).',
    default: 259_200_000,
    parse: parsers.int(1000, 30 * 86_400_000),
  },

  relayMaxFrameBytes: {
    key: 'relay.maxFrameBytes',
    env: 'SWITCHBOARD_RELAY_MAX_FRAME_BYTES',
    flag: null,
    description: 'Largest RELAY frame accepted; larger ones get JSON-RPC error -32600, and frames over 4 times this close the socket (1009).',
    default: 262_144,
    parse: parsers.int(4096, 16 * 1024 * 1024),
  },
  relayMaxSessionsPerProject: {
    key: 'relay.maxSessionsPerProject',
    env: 'SWITCHBOARD_RELAY_MAX_SESSIONS_PER_PROJECT',
    flag: null,
    description: 'Connected RELAY sessions one project may have on this node; further connects get -32005. Must be below `http.maxConnections`, so one project cannot take every connection of the node. As many may be parked (disconnected, awaiting a resume): parking one more drops the project’s oldest parked session.',
    default: 1_000,
    parse: parsers.int(1, 1_000_000),
  },
  relayRequestsPerSecond: {
    key: 'relay.requestsPerSecond',
    env: 'SWITCHBOARD_RELAY_REQUESTS_PER_SECOND',
    flag: null,
    description: 'Sustained frames per second one RELAY connection may send for the server to answer (token bucket; acks and pongs do not count); the first above it gets -32005 and the socket is read no further until there is room. The connections of one client address together (once authenticated, those of one project at that address) may send four times this, and four times `relay.requestBurst` at once: one client opening many connections does not multiply its rate.',
    default: 1000,
    parse: parsers.int(1, 1_000_000),
  },
  relayRequestBurst: {
    key: 'relay.requestBurst',
    env: 'SWITCHBOARD_RELAY_REQUEST_BURST',
    flag: null,
    description: 'Requests one RELAY connection may make at once above the sustained rate.',
    default: 2000,
    parse: parsers.int(1, 1_000_000),
  },
  relayBytesPerSecond: { key: 'relay.bytesPerSecond', env: 'SWITCHBOARD_RELAY_BYTES_PER_SECOND', flag: null, description: 'Bytes of frames one RELAY connection may send a second (token bucket holding a second\'s worth, at least one largest frame; every frame counts, acks too), checked before a frame is parsed; past it the frame gets -32005 and the socket is read no further until there is room.', default: 1_048_576, parse: parsers.int(65_536, 1024 * 1024 * 1024) },
  relayBytesPerSecondPerAddress: { key: 'relay.bytesPerSecondPerAddress', env: 'SWITCHBOARD_RELAY_BYTES_PER_SECOND_PER_ADDRESS', flag: null, description: 'Bytes of frames all RELAY connections of one client address together may send a second, as `relay.bytesPerSecond`; once authenticated, per project at that address (behind a reverse proxy every client has its address: raise it there).', default: 4_194_304, parse: parsers.int(65_536, 1024 * 1024 * 1024) },
  relayResumeWindowMs: {
    key: 'relay.resumeWindowMs',
    env: 'SWITCHBOARD_RELAY_RESUME_WINDOW_MS',
    flag: null,
    description: 'How long a disconnected RELAY session (its contexts and missed events) can be resumed.',
    default: 120_000,
    parse: parsers.int(0, 86_400_000),
  },
  relayCatchUpWindowMs: { key: 'relay.catchUpWindowMs', env: 'SWITCHBOARD_RELAY_CATCH_UP_WINDOW_MS', flag: null, description: 'How far back a RELAY session resumed or adopted again (after a restart, or on another node) is sent, from the stored message events, the last state of each message it follows that it has not had (at most `relay.eventBufferSize` events; the read walks the stored events of every project within the window). 0: none, and a node that stops forgets its sessions instead of handing them over.', default: 120_000, parse: parsers.int(0, 86_400_000) },
  relayEventBufferSize: {
    key: 'relay.eventBufferSize',
    env: 'SWITCHBOARD_RELAY_EVENT_BUFFER_SIZE',
    flag: null,
    description: 'Events a RELAY session may hold written and unacknowledged (connected; those waiting for their project\'s turn to be written count against `relay.bufferMemoryBytes` only) or missed (disconnected); reaching it closes a slow connection, exceeding it drops the session.',
    default: 1000,
    parse: parsers.int(10, 1_000_000),
  },
  relayBufferMemoryBytes: {
    key: 'relay.bufferMemoryBytes',
    env: 'SWITCHBOARD_RELAY_BUFFER_MEMORY_BYTES',
    flag: null,
    description: 'Bytes of buffered RELAY events on this node, all sessions together (parked ones too; with PostgreSQL, their missed events until written); also the bound of what all RELAY sockets hold together (queued to send, and frames partly received).',
    default: 268_435_456,
    parse: parsers.int(1_048_576, 64 * 1024 * 1024 * 1024),
  },
  relayPingIntervalMs: {
    key: 'relay.pingIntervalMs',
    env: 'SWITCHBOARD_RELAY_PING_INTERVAL_MS',
    flag: null,
    description: 'Gap between server pings on RELAY connections, at most 10 s (SignalWire JS clients reconnect after 15 s without one); pings go out within a second of being due.',
    default: 9_000,
    parse: parsers.int(1000, 10_000),
  },
  relayStateEventGapMs: { key: 'relay.stateEventGapMs', env: 'SWITCHBOARD_RELAY_STATE_EVENT_GAP_MS', flag: null, description: "A sent message's first state events go out at least this long (ms) after its `messaging.send` answer, in a later write: SignalWire's SDKs drop events that arrive with the answer.", default: 5, parse: parsers.int(0, 1000) },
  relayMaxSocketBufferBytes: {
    key: 'relay.maxSocketBufferBytes',
    env: 'SWITCHBOARD_RELAY_MAX_SOCKET_BUFFER_BYTES',
    flag: null,
    description: 'Bytes queued on one RELAY socket (replies, events, pings) before the client counts as not reading and is closed (1013); past an eighth of it the server stops reading that client\'s requests until its socket drains.',
    default: 8 * 1024 * 1024,
    parse: parsers.int(65_536, 1024 * 1024 * 1024),
  },
  ...RELAY_MEMORY_SETTINGS,

  webhookConcurrency: { key: 'webhooks.concurrency', env: 'SWITCHBOARD_WEBHOOK_CONCURRENCY', flag: null, description: 'Webhook requests in flight at once.', default: 64, parse: parsers.int(1, 1024) },
  webhookMaxAttempts: {
    key: 'webhooks.maxAttempts',
    env: 'SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS',
    flag: null,
    description: 'Give a status callback (native or Compatibility) up after this many attempts even inside the retry window, to mimic a provider that tries fewer times. Unset: only `webhooks.retryWindowMs` limits retries.',
    default: null as number | null,
    parse: (raw: unknown): number | null => (raw === null || raw === undefined || raw === '' ? null : parsers.int(1, 50)(raw)),
  },
  webhookRetryWindowMs: {
    key: 'webhooks.retryWindowMs',
    env: 'SWITCHBOARD_WEBHOOK_RETRY_WINDOW_MS',
    flag: null,
    description: 'How long a failing status callback (native or Compatibility) is retried after it was created or re-driven; the last attempt is made when the window closes.',
    default: 86_400_000,
    parse: parsers.int(1000, 30 * 86_400_000),
  },
  webhookPerHostConcurrency: {
    key: 'webhooks.perHostConcurrency',
    env: 'SWITCHBOARD_WEBHOOK_PER_HOST_CONCURRENCY',
    flag: null,
    description:
      'Webhook requests in flight to one destination (one project’s host and port) at once, per node, out of `webhooks.concurrency`. A destination that keeps them all busy and answers each successfully within 200 ms gets one more per such answer, up to half of `webhooks.concurrency`; its first slow or failed answer takes it back to this.',
    default: 8,
    parse: parsers.int(1, 1024),
  },
  webhookBreakerFailures: {
    key: 'webhooks.breakerFailures',
    env: 'SWITCHBOARD_WEBHOOK_BREAKER_FAILURES',
    flag: null,
    description: 'Consecutive webhook attempts to one destination without an HTTP answer (refused, reset, timed out) that pause it for `webhooks.breakerCooldownMs`.',
    default: 5,
    parse: parsers.int(1, 1000),
  },
  webhookBreakerCooldownMs: {
    key: 'webhooks.breakerCooldownMs',
    env: 'SWITCHBOARD_WEBHOOK_BREAKER_COOLDOWN_MS',
    flag: null,
    description: 'How long a destination that stopped answering is paused (its deliveries wait without counting attempts) before one probe request is let through.',
    default: 30_000,
    parse: parsers.int(100, 3_600_000),
  },
  webhookRetryBaseMs: { key: 'webhooks.retryBaseMs', env: 'SWITCHBOARD_WEBHOOK_RETRY_BASE_MS', flag: null, description: 'First retry delay; doubles each attempt.', default: 1000, parse: parsers.int(10, 3_600_000) },
  webhookLeaseMs: {
    key: 'webhooks.leaseMs',
    env: 'SWITCHBOARD_WEBHOOK_LEASE_MS',
    flag: null,
    description: 'How long a delivery being sent is held before another node may send it (longer than any request may take).',
    default: 30_000,
    parse: parsers.int(1000, 3_600_000),
  },
  webhookRetryMaxMs: { key: 'webhooks.retryMaxMs', env: 'SWITCHBOARD_WEBHOOK_RETRY_MAX_MS', flag: null, description: 'Longest retry delay.', default: 300_000, parse: parsers.int(10, 86_400_000) },
  webhookRefusePrivate: {
    key: 'webhooks.refusePrivateNetworks',
    env: 'SWITCHBOARD_WEBHOOK_REFUSE_PRIVATE_NETWORKS',
    flag: null,
    description: 'Refuse callback URLs on loopback or private networks (`url_is_unsafe`), and refuse to connect any webhook (status callbacks, cXML URLs, redirects) to such an address, also when a name resolves to one. Off by default: local development calls back to localhost. Link-local addresses and cloud metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200) are refused either way.',
    default: false,
    parse: parsers.bool,
  },

  httpsEnabled: {
    key: 'https.enabled',
    env: 'SWITCHBOARD_HTTPS',
    flag: 'https',
    description: 'Serve HTTPS beside plain HTTP (the Compatibility API clients only speak HTTPS).',
    default: true,
    parse: parsers.bool,
  },
  httpsPort: { key: 'https.port', env: 'SWITCHBOARD_HTTPS_PORT', flag: 'https-port', description: 'HTTPS port (0 picks a free one).', default: 8443, parse: parsers.int(0, 65535) },
  tlsCertFile: {
    key: 'https.certFile',
    env: 'SWITCHBOARD_TLS_CERT',
    flag: 'tls-cert',
    description: 'PEM certificate (chain) for HTTPS. When unset, a local CA and certificate are generated in `<data dir>/tls/`.',
    default: null as string | null,
    parse: parsers.optionalString,
  },
  tlsKeyFile: { key: 'https.keyFile', env: 'SWITCHBOARD_TLS_KEY', flag: 'tls-key', description: 'PEM private key of the HTTPS certificate (with https.certFile).', default: null as string | null, parse: parsers.optionalString },
  tlsHostnames: {
    key: 'https.hostnames',
    env: 'SWITCHBOARD_TLS_HOSTNAMES',
    flag: null,
    description: 'Extra host names and IP addresses the generated certificate is valid for (localhost, 127.0.0.1, ::1, the machine name and the bind address always are).',
    default: [] as string[],
    defaultLabel: 'none',
    parse: hostnameList,
  },
  pricing: {
    key: 'pricing',
    env: 'SWITCHBOARD_PRICING',
    flag: null,
    description: 'Price table filling `price` when a message is sent, or received (`"direction": "inbound"` rules) (an object in the config file, JSON in the environment), e.g. `{"unit":"USD","rules":[{"prefix":"+1","kind":"sms","perSegment":0.0079}]}`; see docs/api/compat.md. Unset: messages stay unpriced.',
    default: null as PriceTable | null,
    parse: (raw: unknown): PriceTable | null => {
      if (raw === null || raw === '') return null;
      try {
        return parsePriceTable(raw);
      } catch (err) {
        throw new InvalidSetting((err as Error).message);
      }
    },
  },

  ...CONSOLE_SETTINGS,
  ...RETENTION_SETTINGS,
  ...PROJECT_LIMIT_SETTINGS,
} satisfies Record<string, SettingSpec<unknown>>;

export type SettingName = keyof typeof SETTINGS;

/** The resolved configuration: one value per setting. */
export type SwitchboardSettings = { -readonly [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> };
