/**
 * The Switchboard TypeScript SDK: `RelayClient` (RELAY over WebSocket: send messages, follow
 * their state, receive inbound messages by context) and `RestClient` (native REST and the
 * Compatibility Messages API), plus the shared wire vocabulary of `@switchboard/protocol`.
 */
export { RelayClient, SDK_AGENT, type RelayClientOptions, type SendMessageOptions, type InboundMessageHandler, type RelayLogger } from './relay/relay-client.js';
export { Message, isTerminalState, type MessageInit, type MessageEventHandler, type CompletedHandler } from './relay/message.js';
export { RelayError, RelayTimeoutError } from './relay/relay-error.js';
export { RelayEvent } from './relay/relay-event.js';
export { RestClient, type RestClientOptions, type Page, type LogQuery, type PhoneNumberQuery, type CompatPage, type SimulatorClock } from './rest/rest-client.js';
export { RestError } from './rest/rest-error.js';
export type { CompatMessage, CompatCreateMessage, CompatListMessages, CompatMessagePage } from './rest/compat-types.js';
export { resolveEndpoint, DEFAULT_HOST, type Endpoint } from './endpoint.js';
export * from '@switchboard/protocol';
