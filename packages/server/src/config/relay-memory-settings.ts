/**
 * The RELAY socket-memory setting per client address. Its own file because settings.ts is at its
 * size limit; spread into the settings table there, after `relay.maxSocketBufferBytes`.
 */
import { parsers, type SettingSpec } from './setting-parsers.js';

export const RELAY_MEMORY_SETTINGS = {
  relaySocketMemoryPerAddressBytes: {
    key: 'relay.socketMemoryPerAddressBytes',
    env: 'SWITCHBOARD_RELAY_SOCKET_MEMORY_PER_ADDRESS_BYTES',
    flag: null,
    description:
      "Bytes all RELAY sockets of one client address may hold together on this node: written to them and not yet sent, and frames partly received; once authenticated, a connection counts with its address and project only. Past it, the address's connections holding 64 KiB or more are closed (1013) as they write or receive, so one address's many sockets cannot take the node's `relay.bufferMemoryBytes`. Behind a reverse proxy every client has its address: raise it there.",
    default: 67_108_864,
    parse: parsers.int(1_048_576, 64 * 1024 * 1024 * 1024),
  },
} satisfies Record<string, SettingSpec<unknown>>;
