/**
 * How much work one list request may do (`settings.ts` spreads these in; docs/configuration.md
 * lists them with the others).
 */
import { parsers, type SettingSpec } from './setting-parsers.js';

export const LIST_SETTINGS = {
  listScanRows: {
    key: 'http.listScanRows',
    env: 'SWITCHBOARD_LIST_SCAN_ROWS',
    flag: null,
    description:
      "Messages one page of a message list examines at most (the native message log, the Compatibility API's Messages list, the console's list, its search and its conversations). A filter few messages match answers a short or empty page with a link to the next one, which continues where this one stopped, instead of reading the project's whole history in one request. Also where the console's webhook outbox stops counting each state (shown as \"N+\").",
    default: 20_000,
    parse: parsers.int(10, 10_000_000),
  },
} satisfies Record<string, SettingSpec<unknown>>;
