/** The RELAY surface: JSON-RPC over WebSocket (see docs/api/relay.md). */
export { RelayService, type RelayServiceDeps } from './relay-service.js';
export { attachRelayTransport } from './ws-transport.js';
export { InMemoryResumeStore } from './in-memory-resume-store.js';
export type { RelayLimits } from './limits.js';
export type { RelayTransport } from './transport.js';
