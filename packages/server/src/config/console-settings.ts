/**
 * The web console's settings (`settings.ts` spreads these in; docs/configuration.md lists them
 * with the others).
 */
import { parsers, type SettingSpec } from './setting-parsers.js';

export const CONSOLE_SETTINGS = {
  consoleEnabled: { key: 'console.enabled', env: 'SWITCHBOARD_CONSOLE_ENABLED', flag: null, description: 'Serve the web console at /console and its API under /api/console.', default: true, parse: parsers.bool },
  consoleDevLogin: {
    key: 'console.devLogin',
    env: 'SWITCHBOARD_CONSOLE_DEV_LOGIN',
    flag: null,
    description: 'Offer the one-click dev login when the server runs on its zero-config defaults (bound to loopback, no configured API token). It is never offered on any other bind.',
    default: true,
    parse: parsers.bool,
  },
  consoleSessionTtlMs: {
    key: 'console.sessionTtlMs',
    env: 'SWITCHBOARD_CONSOLE_SESSION_TTL_MS',
    flag: null,
    description: 'How long a console session lasts without being used (it is extended while in use, up to 7 days after login, or this long when it is longer).',
    default: 43_200_000,
    parse: parsers.int(60_000, 30 * 86_400_000),
  },
  consoleMaxSessionsPerToken: {
    key: 'console.maxSessionsPerToken',
    env: 'SWITCHBOARD_CONSOLE_MAX_SESSIONS_PER_TOKEN',
    flag: null,
    description:
      "Console sessions one API token keeps open (a project's dev logins count as one token). A login past it ends the token's oldest session, whose browser is asked to log in again; the new login is never refused. Each session is a stored row until it expires (up to 7 days), so without it a client logging in in a loop would fill the table.",
    default: 50,
    parse: parsers.int(1, 10_000),
  },
} satisfies Record<string, SettingSpec<unknown>>;
