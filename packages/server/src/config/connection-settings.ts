/**
 * Connection settings beside `http.maxConnectionsPerAddress`. Their own file because settings.ts is
 * near its size limit; spread into the settings table there, after that setting.
 */
import { parsers, type SettingSpec } from './setting-parsers.js';

export const CONNECTION_SETTINGS = {
  maxConnectionsPerNetwork: {
    key: 'http.maxConnectionsPerNetwork',
    env: 'SWITCHBOARD_MAX_CONNECTIONS_PER_NETWORK',
    flag: null,
    description:
      'Most open connections from the /64s of one IPv6 /48 together (HTTP, HTTPS and RELAY WebSockets; IPv4 clients and loopback are not counted here). `http.maxConnectionsPerAddress` counts an IPv6 client by its /64, and a site is routed a /48 (a home often a /56): without this one client could open that many from each of its /64s and fill `http.maxConnections`. Further ones are answered 429 and closed (dropped on HTTPS).',
    default: 1024,
    parse: parsers.int(1, 1_000_000),
  },
} satisfies Record<string, SettingSpec<unknown>>;
